#include "yaml/document.hpp"

#include <yaml-cpp/eventhandler.h>

#include <cstddef>
#include <exception>
#include <optional>
#include <sstream>
#include <string>

#include "yaml/utf8.hpp"

namespace tproc::yaml {

namespace {

// How many YAML documents an error counts before it says "more than".
constexpr size_t kMaxDocumentsCounted = 16;

/// A YAML event handler that ignores everything: for counting documents without building them.
class IgnoreEvents : public YAML::EventHandler {
 public:
  YAML::Mark last_document;  ///< where the latest document started
  void OnDocumentStart(const YAML::Mark& mark) override { last_document = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

Result<YAML::Node> load_document(std::string_view text, const FieldReader& reader) {
  if (std::optional<TextPosition> invalid = first_invalid_utf8(text)) {
    YAML::Mark mark;
    mark.line = invalid->line;
    mark.column = invalid->column;
    return reader.fail(mark, "", "invalid UTF-8 (a manifest is UTF-8 text)");
  }
  // Not YAML::LoadAll: on some inputs (`"",`) yaml-cpp 0.7 finds empty documents forever and eats
  // all memory (jbeder/yaml-cpp#1040). One document is loaded; the others are only counted.
  YAML::Node document;
  size_t documents = 0;
  YAML::Mark second_document;
  try {
    const std::string source(text);
    document = YAML::Load(source);
    documents = 1;
    std::istringstream stream(source);
    YAML::Parser parser(stream);
    IgnoreEvents ignore;
    parser.HandleNextDocument(ignore);
    // Counted to a bound: the inputs that trip yaml-cpp produce empty documents without end.
    while (documents <= kMaxDocumentsCounted && parser.HandleNextDocument(ignore)) {
      if (documents == 1) second_document = ignore.last_document;
      ++documents;
    }
  } catch (const std::exception& error) {
    return reader.bad_yaml(error);
  }
  if (documents > 1) {
    const std::string count = documents > kMaxDocumentsCounted ? "more than " + std::to_string(kMaxDocumentsCounted)
                                                               : std::to_string(documents);
    return reader.fail(second_document, "", "expected one YAML document, found " + count);
  }
  return document;
}

}  // namespace tproc::yaml
