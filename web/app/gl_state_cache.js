// Answers the WebGL state queries Dear ImGui's OpenGL3 renderer makes every
// frame (it saves and restores the scissor box and blending around its
// drawing) from values kept here, instead of from the GPU. Chromium answers
// getParameter(SCISSOR_BOX) and the BLEND_* queries by a round trip to its GPU
// process, which first finishes every command queued before, the previous
// frame's drawing included: with a software GPU (SwiftShader) that stalled the
// UI thread for most of each frame (tools/bench web measured 45 ms of a 70 ms
// frame in the SCISSOR_BOX query alone). The setters of this one context are
// wrapped to keep the copies current; everything that changes that state goes
// through them (jsimgui's Emscripten GL layer and gl_maps.js call this object).
export function cacheGlState(gl) {
  if (gl.__neuronlensStateCache) return;
  gl.__neuronlensStateCache = true;
  // The starting values, read once.
  const scissorBox = Int32Array.from(gl.getParameter(gl.SCISSOR_BOX));
  const blend = {
    [gl.BLEND_SRC_RGB]: gl.getParameter(gl.BLEND_SRC_RGB), [gl.BLEND_DST_RGB]: gl.getParameter(gl.BLEND_DST_RGB),
    [gl.BLEND_SRC_ALPHA]: gl.getParameter(gl.BLEND_SRC_ALPHA), [gl.BLEND_DST_ALPHA]: gl.getParameter(gl.BLEND_DST_ALPHA),
    [gl.BLEND_EQUATION_RGB]: gl.getParameter(gl.BLEND_EQUATION_RGB), [gl.BLEND_EQUATION_ALPHA]: gl.getParameter(gl.BLEND_EQUATION_ALPHA),
  };
  const getParameter = gl.getParameter.bind(gl);
  const scissor = gl.scissor.bind(gl), blendFunc = gl.blendFunc.bind(gl), blendFuncSeparate = gl.blendFuncSeparate.bind(gl);
  const blendEquation = gl.blendEquation.bind(gl), blendEquationSeparate = gl.blendEquationSeparate.bind(gl);

  gl.getParameter = (pname) => {
    if (pname === gl.SCISSOR_BOX) return Int32Array.from(scissorBox);
    if (pname in blend) return blend[pname];
    return getParameter(pname);
  };
  gl.scissor = (x, y, width, height) => {
    scissor(x, y, width, height);
    // GL keeps the values as given; negative sizes are refused (INVALID_VALUE) and change nothing.
    if (width >= 0 && height >= 0) scissorBox.set([x, y, width, height]);
  };
  // (GL refuses invalid blend enums and keeps its state; the callers here pass valid
  // ones, and checking with getError would be a round trip again.)
  gl.blendFunc = (src, dst) => {
    blendFunc(src, dst);
    Object.assign(blend, { [gl.BLEND_SRC_RGB]: src, [gl.BLEND_SRC_ALPHA]: src, [gl.BLEND_DST_RGB]: dst, [gl.BLEND_DST_ALPHA]: dst });
  };
  gl.blendFuncSeparate = (srcRgb, dstRgb, srcAlpha, dstAlpha) => {
    blendFuncSeparate(srcRgb, dstRgb, srcAlpha, dstAlpha);
    Object.assign(blend, { [gl.BLEND_SRC_RGB]: srcRgb, [gl.BLEND_DST_RGB]: dstRgb, [gl.BLEND_SRC_ALPHA]: srcAlpha, [gl.BLEND_DST_ALPHA]: dstAlpha });
  };
  gl.blendEquation = (mode) => {
    blendEquation(mode);
    Object.assign(blend, { [gl.BLEND_EQUATION_RGB]: mode, [gl.BLEND_EQUATION_ALPHA]: mode });
  };
  gl.blendEquationSeparate = (modeRgb, modeAlpha) => {
    blendEquationSeparate(modeRgb, modeAlpha);
    Object.assign(blend, { [gl.BLEND_EQUATION_RGB]: modeRgb, [gl.BLEND_EQUATION_ALPHA]: modeAlpha });
  };
}
