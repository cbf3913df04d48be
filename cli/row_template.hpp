#pragma once
// RowTemplate: `--format` with Go-template-like placeholders, as docker's: `{{.ID}} {{.Name}}`
// prints one line per row, and a leading `table ` prints an aligned table under a header made of
// the fields' names. `\t` and `\n` in the text mean a tab and a newline, as docker reads them.
// Only plain `{{.Field}}` placeholders exist (no functions, pipes or conditions).

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::cli {

/// A parsed --format text.
class RowTemplate {
 public:
  /// Parses `text` against the fields a verb offers (`{{.Name}}` for field "Name"); an unknown
  /// field or an unclosed `{{` is an error naming it and the fields there are.
  static Result<RowTemplate> parse(std::string_view text, std::span<const std::string_view> fields);

  /// Prints one line per row (rows[i] gives the value of a field for row i), aligned under a
  /// header when the text began with `table `. Values are escaped for the terminal.
  void print(size_t row_count, const std::function<std::string(size_t row, std::string_view field)>& value) const;

 private:
  struct Piece {
    std::string text;   ///< literal text, when `field` is empty
    std::string field;  ///< the field a placeholder names
  };
  std::vector<Piece> pieces_;
  bool table_ = false;
};

/// True when a --format value is a template rather than one of the named formats (table, json).
inline bool is_row_template(std::string_view format) { return format.find("{{") != std::string_view::npos; }

}  // namespace tproc::cli
