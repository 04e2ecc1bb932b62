#version 300 es
// One triangle strip covering the target; uv runs over [0, 1]^2 with v = 0 at
// the top row, as the data arrays are stored (row 0 first).
precision highp float;
out vec2 vUv;
void main() {
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  vUv = vec2(corner.x, corner.y);
  gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
