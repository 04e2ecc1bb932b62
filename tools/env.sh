# Environment every NeuronLens script needs; source it.
# Debian's emscripten finds node-acorn only through NODE_PATH.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
# Emscripten output run under Node 20 must not use Node's own fetch to load its .wasm.
NL_NODE=(node --no-experimental-fetch)
# Debian's PyTorch and NumPy live under Debian's interpreter, not the python3 first on PATH.
NL_PYTHON=/usr/bin/python3
