// Self-contained HTML; see html_report.h.
#include "cli/html_report.h"

#include "cli/figures.h"
#include "image/png_encode.h"

namespace nl::cli {

std::string base64_encode(const std::vector<uint8_t>& bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint32_t{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

HtmlReport::HtmlReport(const std::string& title) : title_(title) {}

void HtmlReport::heading(int level, const std::string& text, const std::string& id) {
  std::string tag = "h";
  tag += std::to_string(level);
  body_ += '<';
  body_ += tag;
  if (!id.empty()) body_ += " id=\"" + escape_html(id) + "\"";
  body_ += '>';
  body_ += escape_html(text);
  body_ += "</";
  body_ += tag;
  body_ += ">\n";
}

void HtmlReport::paragraph(const std::string& html) { body_ += "<p>" + html + "</p>\n"; }
void HtmlReport::raw(const std::string& html) { body_ += html; }

Status HtmlReport::image(const Image& image, const std::string& caption, int width, const std::string& title) {
  auto png = encode_png(image);
  if (!png.ok()) return png.status();
  body_ += "<figure class=\"img\"><img src=\"data:image/png;base64," + base64_encode(png.value()) + "\"";
  if (width > 0) body_ += " width=\"" + std::to_string(width) + "\"";
  if (!title.empty()) body_ += " title=\"" + escape_html(title) + "\"";
  body_ += " alt=\"" + escape_html(caption.empty() ? title : caption) + "\">";
  if (!caption.empty()) body_ += "<figcaption>" + escape_html(caption) + "</figcaption>";
  body_ += "</figure>\n";
  return Status::Ok();
}

void HtmlReport::begin_row() { body_ += "<div class=\"row\">\n"; }
void HtmlReport::end_row() { body_ += "</div>\n"; }
void HtmlReport::begin_figure(const std::string& css_class) { body_ += "<div class=\"" + css_class + "\">\n"; }
void HtmlReport::end_figure(const std::string& caption) {
  if (!caption.empty()) body_ += "<div class=\"caption\">" + escape_html(caption) + "</div>\n";
  body_ += "</div>\n";
}

void HtmlReport::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                       const std::string& caption, const std::string& css_class) {
  body_ += css_class.empty() ? "<table>\n" : "<table class=\"" + escape_html(css_class) + "\">\n";
  if (!caption.empty()) body_ += "<caption>" + escape_html(caption) + "</caption>\n";
  bool any_header = false;
  for (const auto& h : header) any_header = any_header || !h.empty();
  if (any_header) {
    body_ += "<tr>";
    for (const auto& h : header) body_ += "<th>" + escape_html(h) + "</th>";
    body_ += "</tr>\n";
  }
  for (const auto& r : rows) {
    body_ += "<tr>";
    for (const auto& c : r) body_ += "<td>" + escape_html(c) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</table>\n";
}

std::string HtmlReport::finish() {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape_html(title_) +
         "</title>\n<style>\n"
         "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n"
         "h1{border-bottom:2px solid #1f4e79}h2{margin-top:2em;border-bottom:1px solid #ccc}\n"
         "figure.img{display:inline-block;margin:4px;text-align:center;vertical-align:top}\n"
         "figure.img img{image-rendering:pixelated;border:1px solid #ddd}\n"
         "figcaption,.caption{font-size:12px;color:#555;max-width:400px}\n"
         ".row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;margin:8px 0}\n"
         ".fig{border:1px solid #e3e3e3;border-radius:4px;padding:6px}\n"
         ".cluster{border:1px solid #e3e3e3;border-radius:4px;padding:6px;max-width:380px}\n"
         "table{border-collapse:collapse;margin:8px 0;font-size:13px}\n"
         "td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f3f6f9}\n"
         "td:first-child,th:first-child{text-align:left}table.info td{text-align:left}caption{text-align:left;font-weight:bold;padding:4px 0}\n"
         "code{background:#f3f3f3;padding:0 3px}\n"
         "</style>\n</head>\n<body>\n" +
         body_ + "</body>\n</html>\n";
}

}  // namespace nl::cli
