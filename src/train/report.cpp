// Evaluation JSON and model cards; see report.h.
#include "train/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "train/progress.h"

namespace nl {

namespace {

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

std::string evaluation_json(const std::string& model_name, const std::string& data_name,
                            const std::vector<std::string>& class_names, const ConfusionMatrix& m) {
  std::ostringstream s;
  s << "{\n  \"model\": " << json_string(model_name) << ",\n  \"data\": " << json_string(data_name)
    << ",\n  \"images\": " << m.total() << ",\n  \"accuracy\": " << fixed(m.accuracy(), 6)
    << ",\n  \"per_class_accuracy\": [";
  const auto per_class = m.per_class_accuracy();
  for (size_t k = 0; k < per_class.size(); ++k) s << (k ? ", " : "") << fixed(per_class[k], 6);
  s << "],\n  \"class_names\": [";
  for (size_t k = 0; k < class_names.size(); ++k) s << (k ? ", " : "") << json_string(class_names[k]);
  s << "],\n  \"confusion\": [";
  const auto rows = m.rows();
  for (size_t r = 0; r < rows.size(); ++r) {
    s << (r ? ",\n    [" : "\n    [");
    for (size_t c = 0; c < rows[r].size(); ++c) s << (c ? ", " : "") << rows[r][c];
    s << "]";
  }
  s << (rows.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return s.str();
}

std::string model_card_markdown(const ModelCardFacts& f, const TrainResult& r) {
  std::ostringstream s;
  const ConfusionMatrix& m = r.test;
  s << "# " << f.model_name << "\n\n";
  if (!f.description.empty()) s << f.description << "\n\n";
  if (!f.data_description.empty()) s << "## Data\n\n" << f.data_description << "\n\n";
  s << "## Result\n\n"
    << "- Test accuracy on `" << f.test_data << "` (" << f.test_images << " images): **" << fixed(100.0 * m.accuracy(), 2)
    << "%** (" << m.correct() << " of " << m.total() << " correct)\n"
    << "- Training: " << f.train_images << " images of `" << f.train_data << "`, " << r.epochs.size() << (r.epochs.size() == 1 ? " epoch, " : " epochs, ")
    << format_duration(r.seconds) << " (h:mm:ss) on " << f.threads << " thread(s), "
    << fixed(r.images_per_second, 0) << " training images/s\n"
    << "- Seed: " << f.seed << "\n"
    << "- Parameters: " << f.parameters << "\n";
  if (!f.build.empty()) s << "- Build: " << f.build << "\n";
  s << "\n## Reproduce\n\n```\n" << f.command << "\n```\n\n"
    << "Same recipe, seed and thread count give the same weights on the same build.\n\n";
  s << "## Per-class accuracy\n\n| class | accuracy |\n|---|---|\n";
  const auto per_class = m.per_class_accuracy();
  for (size_t k = 0; k < per_class.size(); ++k)
    s << "| " << (k < f.class_names.size() ? f.class_names[k] : std::to_string(k)) << " | "
      << fixed(100.0 * per_class[k], 2) << "% |\n";
  s << "\n## Confusion matrix\n\nRows: true class; columns: predicted class.\n\n| |";
  for (int k = 0; k < m.classes(); ++k) s << " " << k << " |";
  s << "\n|---|";
  for (int k = 0; k < m.classes(); ++k) s << "---|";
  s << "\n";
  for (int t = 0; t < m.classes(); ++t) {
    s << "| " << t << " " << (static_cast<size_t>(t) < f.class_names.size() ? f.class_names[static_cast<size_t>(t)] : "") << " |";
    for (int p = 0; p < m.classes(); ++p) s << " " << m.count(t, p) << " |";
    s << "\n";
  }
  s << "\n## Training log\n\n| epoch | loss | train acc | test acc | lr | seconds |\n|---|---|---|---|---|---|\n";
  for (const EpochSummary& e : r.epochs)
    s << "| " << e.epoch << " | " << fixed(e.train_loss, 4) << " | " << fixed(100.0 * e.train_accuracy, 2) << "% | "
      << (e.test_accuracy >= 0 ? fixed(100.0 * e.test_accuracy, 2) + "%" : std::string("-")) << " | "
      << e.learning_rate << " | " << fixed(e.seconds, 1) << " |\n";
  if (!f.layers.empty()) {
    s << "\n## Exported graph (BatchNorm folded into the convolutions)\n\n";
    for (const std::string& l : f.layers) s << "- " << l << "\n";
  }
  s << "\n## Recipe (`" << f.recipe_path << "`)\n\n```json\n" << f.recipe_text << (f.recipe_text.empty() || f.recipe_text.back() == '\n' ? "" : "\n")
    << "```\n";
  return s.str();
}

}  // namespace nl
