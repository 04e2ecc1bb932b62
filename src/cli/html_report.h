// A small builder for self-contained HTML pages: every image is inlined as a
// base64 PNG data URI and every figure that is not an image is inline SVG,
// so the page is one file with no external references (it can be mailed,
// committed and opened offline).
#pragma once
#include <string>
#include <vector>

#include "image/image.h"
#include "tensor/status.h"

namespace nl::cli {

std::string base64_encode(const std::vector<uint8_t>& bytes);

class HtmlReport {
 public:
  explicit HtmlReport(const std::string& title);

  void heading(int level, const std::string& text, const std::string& id = "");
  void paragraph(const std::string& html);  // trusted HTML (the caller escapes user text)
  void raw(const std::string& html);
  // An <img> of the PNG of `image`, `width` CSS pixels wide (0: natural), with an optional caption.
  Status image(const Image& image, const std::string& caption = "", int width = 0, const std::string& title = "");
  // A figure box holding several things side by side.
  void begin_row();
  void end_row();
  void begin_figure(const std::string& css_class = "fig");
  void end_figure(const std::string& caption = "");
  // A table; cells are escaped text.
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
             const std::string& caption = "", const std::string& css_class = "");

  std::string finish();  // the whole page

 private:
  std::string title_, body_;
};

}  // namespace nl::cli
