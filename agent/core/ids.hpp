#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace qsanfwd {

/// A 16-hex-digit id from the SHA-256 of the parts (each length-prefixed, so ("ab","c") and
/// ("a","bc") differ). The same parts always give the same id, across runs and machines.
std::string stable_id(std::initializer_list<std::string_view> parts);
/// The same id written into `out`, whose buffer is reused (an id per log line).
void stable_id(std::string& out, std::initializer_list<std::string_view> parts);

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace qsanfwd
