// Analysis: does a group of neurons really carry its categories? Keep or
// remove neurons of a layer (no retraining) and measure the accuracy per
// class on the sample images: ablation by priority, weight norm and random
// sets, and the domination test for one category.
import { progressWithCancel, ImGui, ImVec2, ImPlot, ImAxis, explain, help, combo, percent, plot, rememberItem, PLOT_CANVAS, PlotFlags, AxisFlags } from './widgets.js';

// The ablation rows (not the domination test's) as bars: the overall accuracy
// and the chosen category's, per set of kept neurons, numbered as listed under it.
function drawAblationPlot(ui, r, labels) {
  const rows = r.rows.filter((row) => !row.domination);
  if (!rows.length) return;
  const series = [['overall accuracy', rows.map((row) => row.overall)],
                  [`accuracy of ${labels[r.target]}`, rows.map((row) => row.perClass[r.target])]];
  ImGui.Text('Ablation: accuracy with the kept neurons only');
  plot('##ablation', new ImVec2(-1, 200), PlotFlags.NoTitle | PlotFlags.NoMenus | PlotFlags.NoBoxSelect, () => {
    ImPlot.SetupAxes('set', 'accuracy', AxisFlags.NoTickLabels, 0);
    ImPlot.SetupAxisLimits(ImAxis.X1, -0.6, rows.length - 0.4, 1);
    ImPlot.SetupAxisLimits(ImAxis.Y1, 0, 1.05, 1);
    const width = 0.8 / series.length;
    series.forEach(([label, values], k) => ImPlot.PlotBars(label, values, values.length, width, (k - (series.length - 1) / 2) * width));
    rows.forEach((row, i) => ImPlot.PlotText(String(i + 1), i, 0, new ImVec2(0, 8)));
  });
  rememberItem(ui, 'plot:ablation');
  ImGui.TextWrapped(rows.map((row, i) => `${i + 1}: ${row.name}`).join('   '));
}

export function drawAnalysisPanel(ui, app) {
  explain('Switch neurons off and see what the network forgets. If the neurons that serve a category really carry it, ' +
          'removing them hurts that category much more than the others.');
  if (!app.model?.samples) { ImGui.TextDisabled('This model has no sample images.'); return; }
  const a = app.analysis;
  ImGui.PushItemWidth(170);
  const layers = app.exploreLayers().filter((l) => l.id < app.model.info.logits && (l.op === 'Conv2D' || l.op === 'Dense' || l.op === 'ReLU'));
  a.layer = combo('layer##analysis', a.layer, layers.map((l) => l.id), (id) => `${app.layerInfo(id).name} (${app.channelsOf(id)})`);
  ImGui.SameLine();
  // Categories: the classes the sample images show (all of them for a shipped model).
  const categories = app.sampleCategories();
  a.target = combo('category', a.target, categories, (i) => app.model.labels[i]);
  const per = [a.perClass];
  if (ImGui.SliderInt('images per class', per, 5, 100)) a.perClass = per[0];
  ImGui.PopItemWidth();
  if (a.progress !== null && a.progress !== undefined) progressWithCancel(ui, 'analysis', a.progress, 'evaluating...', () => app.cancelBackgroundJob('The analysis'));
  else if (ImGui.Button('Run the analysis')) app.runAnalysis();
  help('Half of the layer\'s neurons kept by priority round robin (the best neuron of each category in turn), by weight ' +
       'norm, or at random (5 seeds); then the domination test: remove the top n neurons of the chosen category\'s group.');
  const r = a.result;
  if (!r) return;
  const labels = app.model.labels;
  ImGui.Text(`Layer ${app.layerInfo(r.node).name}, ${r.images} sample images`);
  if (ImGui.BeginTable("ablation", 4 + categories.length, 64 | 1920 | 8192 | 16777216 | 33554432, new ImVec2(0, 260))) {
    ImGui.TableSetupColumn('set');
    ImGui.TableSetupColumn('kept');
    ImGui.TableSetupColumn('params');
    ImGui.TableSetupColumn('overall');
    for (const c of categories) ImGui.TableSetupColumn(labels[c].slice(0, 6));
    ImGui.TableHeadersRow();
    for (const row of r.rows) {
      ImGui.TableNextRow();
      ImGui.TableNextColumn(); ImGui.Text(row.name);
      ImGui.TableNextColumn(); ImGui.Text(row.kept < 0 ? 'all' : String(row.kept));
      ImGui.TableNextColumn(); ImGui.Text(row.keptParameters < 0 ? 'all' : row.keptParameters.toLocaleString());
      ImGui.TableNextColumn(); ImGui.Text(percent(row.overall));
      for (const c of categories) { ImGui.TableNextColumn(); ImGui.Text(percent(row.perClass[c])); }
    }
    ImGui.EndTable();
  }
  drawAblationPlot(ui, r, labels);
  // Domination test plot: accuracy drop of the category versus the others, top-n versus random.
  const base = r.rows[0];
  const dom = r.rows.filter((row) => row.domination);
  if (dom.length) {
    const ns = [...new Set(dom.map((row) => row.domination.n))];
    const drop = (row, own) => {
      const pc = Array.from(row.perClass), b = Array.from(base.perClass);
      if (own) return b[r.target] - pc[r.target];
      const others = categories.filter((i) => i !== r.target).map((i) => b[i] - pc[i]);
      return others.reduce((s, v) => s + v, 0) / Math.max(1, others.length);
    };
    const series = [
      ['top-n: drop of ' + labels[r.target], ns.map((n) => drop(dom.find((x) => x.domination.n === n && !x.domination.random), true))],
      ['top-n: mean drop of the others', ns.map((n) => drop(dom.find((x) => x.domination.n === n && !x.domination.random), false))],
      ['random n: drop of ' + labels[r.target], ns.map((n) => drop(dom.find((x) => x.domination.n === n && x.domination.random), true))],
    ];
    ImGui.Text('Domination test: accuracy drop when n neurons are removed');
    plot('##domination', new ImVec2(-1, 220), PlotFlags.NoTitle | PlotFlags.NoMenus | PlotFlags.NoBoxSelect, () => {
      ImPlot.SetupAxes('n removed', 'accuracy drop', AxisFlags.NoTickLabels, AxisFlags.AutoFit);
      ImPlot.SetupAxisLimits(ImAxis.X1, -0.6, ns.length - 0.4, 1);
      // Grouped bars: one series per kind, shifted within each group (n).
      const width = 0.8 / series.length;
      series.forEach(([label, values], k) => ImPlot.PlotBars(label, values, values.length, width, (k - (series.length - 1) / 2) * width));
      ns.forEach((n, i) => ImPlot.PlotText(`n = ${n}`, i, 0, new ImVec2(0, 8)));
    });
  }
}
