// Lets Dear ImGui's solid fills (window backgrounds, frames, bars: most of the
// pixels of a frame) skip the texture read. ImGui draws them with the UV of a
// white texel of its font atlas, so every pixel of the screen reads the atlas;
// with a software GPU (SwiftShader) that read costs about twice the rest of a
// pixel's work (tools/bench web, web/README.md "Speed"). The fragment shader
// jsimgui's OpenGL3 renderer compiles is rewritten when it is handed to this
// context: pixels whose UV is that white texel's (uniform NeuronLensWhiteUv)
// take the vertex colour as it is, which is what multiplying by white gives.
// Should jsimgui's shader change, the text is not found and nothing changes.
const IMGUI_FRAGMENT = 'Out_Color = Frag_Color * texture(Texture, Frag_UV.st);';
const REWRITTEN = 'Out_Color = all(lessThan(abs(Frag_UV - NeuronLensWhiteUv), vec2(1e-6))) ? Frag_Color : ' +
                  'Frag_Color * texture(Texture, Frag_UV.st);';

// Returns setWhiteUv(u, v): call it each frame before ImGui renders (the atlas may have grown).
export function skipTextureForSolidFills(gl) {
  const shaders = new WeakSet();
  let program = null, location = null, lastU = NaN, lastV = NaN;
  const shaderSource = gl.shaderSource.bind(gl), attachShader = gl.attachShader.bind(gl);
  gl.shaderSource = (shader, source) => {
    if (typeof source === 'string' && source.includes(IMGUI_FRAGMENT) && source.includes('uniform sampler2D Texture;')) {
      source = source.replace('uniform sampler2D Texture;', 'uniform sampler2D Texture;\nuniform vec2 NeuronLensWhiteUv;')
                     .replace(IMGUI_FRAGMENT, REWRITTEN);
      shaders.add(shader);
    }
    shaderSource(shader, source);
  };
  gl.attachShader = (prog, shader) => {
    attachShader(prog, shader);
    if (shaders.has(shader)) { program = prog; location = null; lastU = lastV = NaN; }
  };
  return (u, v) => {
    if (!program || (u === lastU && v === lastV)) return;
    location ??= gl.getUniformLocation(program, 'NeuronLensWhiteUv');
    if (!location) return;  // not linked yet
    const saved = gl.getParameter(gl.CURRENT_PROGRAM);
    gl.useProgram(program);
    gl.uniform2f(location, u, v);
    gl.useProgram(saved);
    lastU = u;
    lastV = v;
  };
}
