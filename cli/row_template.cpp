#include "cli/row_template.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "cli/output.hpp"
#include "common/nearest_word.hpp"
#include "common/printable.hpp"

namespace tproc::cli {
namespace {

std::string unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      out += text[++i] == 't' ? '\t' : '\n';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

/// "NAME" for Name, "ID" for ID: a table header as docker writes it.
std::string header_of(std::string_view field) {
  std::string out;
  for (char c : field) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<RowTemplate> RowTemplate::parse(std::string_view text, std::span<const std::string_view> fields) {
  RowTemplate parsed;
  if (text.rfind("table ", 0) == 0) {
    parsed.table_ = true;
    text.remove_prefix(6);
  }
  std::string fields_list;
  for (std::string_view field : fields) fields_list += (fields_list.empty() ? "" : ", ") + std::string(field);
  const std::string all(text);
  for (size_t at = 0; at < all.size();) {
    const size_t open = all.find("{{", at);
    if (open == std::string::npos) {
      parsed.pieces_.push_back({unescape(all.substr(at)), ""});
      break;
    }
    if (open > at) parsed.pieces_.push_back({unescape(all.substr(at, open - at)), ""});
    const size_t close = all.find("}}", open + 2);
    if (close == std::string::npos)
      return Error::explained("--format: '{{' at offset " + std::to_string(open) + " is never closed by '}}'", EINVAL);
    const std::string inside = trimmed(std::string_view(all).substr(open + 2, close - open - 2));
    const std::string field = inside.rfind('.', 0) == 0 ? inside.substr(1) : "";
    if (std::find(fields.begin(), fields.end(), field) == fields.end()) {
      const auto nearest = nearest_word(field.empty() ? inside : field, fields);
      return Error::explained("--format: unknown placeholder '{{" + inside + "}}'" +
                                  (nearest ? " (did you mean '{{." + std::string(*nearest) + "}}'?)" : "") +
                                  "; fields: " + fields_list,
                              EINVAL);
    }
    parsed.pieces_.push_back({"", field});
    at = close + 2;
  }
  return parsed;
}

void RowTemplate::print(size_t row_count, const std::function<std::string(size_t, std::string_view)>& value) const {
  auto render = [&](const std::function<std::string(std::string_view)>& field_text) {
    std::string line;
    for (const Piece& piece : pieces_) line += piece.field.empty() ? piece.text : field_text(piece.field);
    return line;
  };
  if (!table_) {
    for (size_t row = 0; row < row_count; ++row)
      std::printf("%s\n", render([&](std::string_view field) { return terminal_text(value(row, field)); }).c_str());
    return;
  }
  // A table: every tab-separated part of the line is a column, aligned as print_table aligns.
  auto columns = [](const std::string& line) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) cells.push_back(line.substr(start, tab - start));
    cells.push_back(line.substr(start));
    return cells;
  };
  // Escaped by print_table, where the columns are measured.
  const std::vector<std::string> headers = columns(render([](std::string_view field) { return header_of(field); }));
  std::vector<std::vector<std::string>> rows;
  for (size_t row = 0; row < row_count; ++row) rows.push_back(columns(render([&](std::string_view field) { return value(row, field); })));
  print_table(headers, rows);
}

}  // namespace tproc::cli
