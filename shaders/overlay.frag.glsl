#version 300 es
// A focus map (Grad-CAM, saliency, occlusion) over the input image: the image
// in grey, the normalised map through inferno, blended more where the map is
// strong, so weak regions show the image and strong ones the heat.
precision highp float;
uniform sampler2D uImage;   // RGBA8, the input as the model sees it
uniform sampler2D uValues;  // R32F, the focus map
uniform float uMin;
uniform float uMax;
uniform float uOpacity;
in vec2 vUv;
out vec4 outColor;
#include colormap
void main() {
  vec3 image = texture(uImage, vUv).rgb;
  float grey = dot(image, vec3(0.299, 0.587, 0.114));
  float t = clamp((texture(uValues, vUv).r - uMin) / max(uMax - uMin, 1e-20), 0.0, 1.0);
  float alpha = uOpacity * smoothstep(0.0, 0.6, t);
  outColor = vec4(mix(vec3(grey), inferno(t), alpha), 1.0);
}
