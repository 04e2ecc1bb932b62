#version 300 es
// A float map (one value per texel) through a colour map: sequential
// (viridis, values scaled from [uMin, uMax] to [0, 1]) or diverging (values
// divided by uMax = the largest magnitude). Used for activation maps and grids,
// neuron maps and the heatmaps of the cluster views.
precision highp float;
uniform sampler2D uValues;
uniform float uMin;
uniform float uMax;
uniform int uDiverging;
in vec2 vUv;
out vec4 outColor;
#include colormap
void main() {
  float v = texture(uValues, vUv).r;
  vec3 rgb = uDiverging == 1 ? diverging(v / max(uMax, 1e-20))
                             : viridis((v - uMin) / max(uMax - uMin, 1e-20));
  outColor = vec4(rgb, 1.0);
}
