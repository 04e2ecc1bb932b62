// Prediction: the classes the network finds most likely, as ImPlot bars and a list.
import { plot, ImGui, ImVec2, ImPlot, ImAxis, explain, percent, PLOT_CANVAS, AxisFlags, PlotFlags } from './widgets.js';

export function drawPredictionPanel(ui, app) {
  explain('How sure the network is about each class (softmax of its output scores). The tallest bar is its answer.');
  const rows = app.prediction;
  if (!rows) { ImGui.TextDisabled('No prediction yet: choose an image.'); return; }
  const top = rows.slice(0, 5);
  ImGui.Text(`Prediction: ${top[0].label} (${percent(top[0].probability)})`);
  const height = ui.kiosk ? 260 : 150;
  plot('##prediction', new ImVec2(-1, height), PLOT_CANVAS | PlotFlags.NoLegend | PlotFlags.NoInputs, () => {
    // Class names are written above the bars (this jsimgui build ignores tick labels).
    ImPlot.SetupAxes('', 'probability', AxisFlags.NoGridLines | AxisFlags.NoTickLabels | AxisFlags.NoTickMarks, 0);
    ImPlot.SetupAxesLimits(-1.3, top.length - 0.1, 0, 1.22, 1);
    ImPlot.PlotBars('probability', top.map((r) => r.probability), top.length, 0.6, 0);
    top.forEach((r, i) => r.probability >= 0.1 && ImPlot.PlotText(r.label.length > 10 ? `${r.label.slice(0, 9)}.` : r.label, i, r.probability, new ImVec2(0, -9)));
  });
  for (const r of rows.slice(0, ui.kiosk ? 3 : 5)) {
    ImGui.ProgressBar(r.probability, new ImVec2(ui.kiosk ? 260 : 150, 0), percent(r.probability));
    ImGui.SameLine();
    ImGui.Text(r.label);
  }
}
