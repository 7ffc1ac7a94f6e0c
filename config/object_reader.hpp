#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/secret.hpp"
#include "config/config_error.hpp"

namespace qsanfwd::config {

/// Looks up an environment variable; nullopt when it is not set. Injectable so tests need not
/// touch the process environment.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// The real process environment (std::getenv).
env_lookup process_environment();

/// Whether secrets are read: `skipped` takes each for the empty secret, unexpanded and with no
/// file read, for a command that needs none (`qsanfwd status`, run without the service's
/// environment or its password files).
enum class secret_reading { read, skipped };

/// Whether the value at a JSON pointer of the document was written as untyped text (a cell of a
/// CSV inventory). There a string stands for the boolean or number a key expects ("true",
/// "1000"), and for a list of strings its words ("warning error").
using text_value_test = std::function<bool(const std::string& pointer)>;

/// Reads one JSON object of the configuration at a JSON-pointer path.
///
/// Each typed accessor consumes a key: it applies the default when the key is absent, expands
/// `${VAR}`, `${VAR:-default}` and `$$` in string values, validates, and throws config_error
/// naming the key's path and the reason. It also records the effective value (defaults filled
/// in, variables expanded, durations in canonical form, secrets as "***") into an effective
/// copy of the configuration shared by all readers of one document. finish() then rejects any
/// key no accessor asked for, so a misspelt key is an error rather than a silently ignored one.
/// A key named `_comment` is allowed in every object and ignored. No string value (after
/// expansion, and no secret file's content) may hold a control byte (below 0x20, or DEL): the
/// error names the byte and its offset, never the value.
///
/// JSON null is not "absent": it is a value of the wrong type. Readers are cheap to copy; copies
/// share the document and the effective configuration.
class object_reader {
 public:
  /// A reader over `document`, which must be a JSON object (else config_error at "/").
  /// `base_dir` resolves relative `*_file` paths read by the *_or_file accessors.
  /// `is_text` says which values were untyped text (none when empty).
  static object_reader open(nlohmann::json document, env_lookup env,
                            std::filesystem::path base_dir = {}, text_value_test is_text = {},
                            secret_reading secrets = secret_reading::read);

  /// This object as written, for a caller that reads it again through a reader of its own (a
  /// device's block, once merged over the defaults).
  const nlohmann::json& written() const { return *object_; }

  /// The JSON pointer of this object ("" for the document).
  const std::string& path() const { return path_; }
  /// The JSON pointer of `key` inside this object.
  std::string path_of(std::string_view key) const;
  /// An error about `key` of this object, for checks the accessors cannot express.
  config_error error(std::string_view key, std::string reason) const;

  /// Whether `key` is present. Marks it as known, not as consumed.
  bool has(std::string_view key);

  std::string string(std::string_view key);
  std::string string(std::string_view key, std::string_view fallback);
  std::optional<std::string> optional_string(std::string_view key);

  /// A secret string; variables are expanded, the effective config shows "***", and errors say
  /// what was expected without quoting the value.
  secret secret_value(std::string_view key);
  std::optional<secret> optional_secret(std::string_view key);
  /// A secret given either inline as `key` or as a file named by `key`_file (content with
  /// trailing newlines trimmed; relative paths resolve against base_dir). Both or neither is
  /// an error; so is an unreadable or empty file.
  secret secret_value_or_file(std::string_view key);
  /// As secret_value_or_file, but neither key present gives nullopt.
  std::optional<secret> optional_secret_or_file(std::string_view key);

  /// The secrets read inside this object (its keys and the objects within), in the order
  /// read; call when done reading it. The effective configuration masks them, so a reload
  /// compares these.
  std::vector<secret> secrets_within() const;

  bool boolean(std::string_view key, bool fallback);

  /// An integer in [min, max]; "expected min..max, got N" otherwise.
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max,
                       std::int64_t fallback);
  /// Any JSON number in [min, max].
  double number(std::string_view key, double min, double max, double fallback);

  /// "500ms", "10s", "5m", "1h", "2d", parts of these ("1h30m"), or a JSON number of seconds;
  /// at least `min`.
  duration duration_value(std::string_view key, duration fallback, duration min = duration::zero());

  /// One of `choices`; the error lists them.
  std::string one_of(std::string_view key, std::initializer_list<std::string_view> choices,
                     std::string_view fallback);

  /// An array of strings; absent is empty.
  std::vector<std::string> string_list(std::string_view key);
  /// An object of string values (e.g. HTTP headers); absent is empty. `_comment` is data here.
  std::map<std::string, std::string> string_map(std::string_view key);

  /// The nested object `key`; absent is an empty object, so its defaults apply. The caller
  /// calls finish() on it.
  object_reader object(std::string_view key);
  /// An array of objects; absent is empty. The caller calls finish() on each.
  std::vector<object_reader> array_of_objects(std::string_view key);

  /// An object or an array of objects (one rule or several); absent is empty.
  std::vector<object_reader> one_or_more_objects(std::string_view key);

  /// The value of `key` as written (strings expanded), for options that take more than one
  /// JSON type; the caller validates it. Untyped text that reads as a number or a boolean is
  /// one. Recorded in the effective config as is.
  std::optional<nlohmann::json> raw_value(std::string_view key);

  /// The environment variable `name` through the document's env_lookup, for options whose
  /// default comes from the environment (a proxy). Not recorded: the caller records what it
  /// decided.
  std::optional<std::string> environment(const std::string& name) const;

  /// Replaces the effective value recorded for `key`, for values normalised after reading.
  void record(std::string_view key, nlohmann::ordered_json value);

  /// Throws config_error for the first key of this object that no accessor asked for, listing
  /// the known keys.
  void finish() const;

  /// The effective configuration of the whole document read so far, secrets masked.
  const nlohmann::ordered_json& effective_document() const;

 private:
  struct shared_state;

  object_reader(std::shared_ptr<shared_state> state, const nlohmann::json* object,
                std::string path);

  /// Marks `key` known and consumed; the value or nullptr when absent.
  const nlohmann::json* take(std::string_view key);
  const nlohmann::json* take_typed(std::string_view key, bool ok(const nlohmann::json&),
                                   std::string_view expected, bool is_secret = false);
  /// `value`, untyped text at `key`, as the type `ok` accepts; nullptr when it is not text or
  /// does not read as that type.
  const nlohmann::json* typed_text(std::string_view key, const nlohmann::json& value,
                                   bool ok(const nlohmann::json&));
  std::string expand(std::string_view text, const std::string& at) const;
  std::string read_secret_file(std::string_view file_key, const std::string& file) const;
  /// Keeps `value`, read at `key`, for secrets_within().
  secret remember(std::string_view key, secret value);

  std::shared_ptr<shared_state> state_;
  const nlohmann::json* object_;
  std::string path_;
  std::vector<std::string> known_;
  std::set<std::string, std::less<>> consumed_;
};

}  // namespace qsanfwd::config
