// Touch and pen input for Dear ImGui: jsimgui's pointerdown handler adds the
// button press before its touchstart handler moves the pointer, so ImGui saw
// each tap at the previous touch's place (a tab opened on the second tap, a
// finger stroke began outside the drawing area and drew nothing). Here, in the
// capture phase on the window (before any listener on the canvas), a touch or
// pen pointer's source and position reach ImGui first; jsimgui's own events
// then repeat them, which ImGui ignores as unchanged.
import { ImGui } from '../node_modules/@mori2003/jsimgui/build/mod.js';

const SOURCE = { mouse: 0, touch: 1, pen: 2 };  // ImGuiMouseSource_Mouse, _TouchScreen, _Pen

export function installTouchInput(canvas) {
  const io = ImGui.GetIO();
  const place = (e) => {
    if (e.target !== canvas) return;
    io.AddMouseSourceEvent(SOURCE[e.pointerType] ?? 0);
    if (e.pointerType === 'mouse') return;
    const rect = canvas.getBoundingClientRect();
    io.AddMousePosEvent(e.clientX - rect.left, e.clientY - rect.top);
  };
  window.addEventListener('pointerdown', place, { capture: true });
  window.addEventListener('pointermove', place, { capture: true });
}
