#pragma once

namespace qsanfwd {

/// What a peer's HTTP status means for the request that got it. One table for the device
/// client and the HTTP sink, so both treat 429 or 503 the same way.
enum class status_class {
  success,       ///< 2xx
  unauthorized,  ///< 401: the token is gone; refresh or log in again
  retry,         ///< 408, 429, 5xx except 501: try again later
  not_found,     ///< 404: for the array, firmware without this endpoint
  rejected,      ///< every other status: a permanent refusal of this request
};

constexpr status_class classify_status(int status) {
  if (status >= 200 && status < 300) {
    return status_class::success;
  }
  if (status == 401) {
    return status_class::unauthorized;
  }
  if (status == 404) {
    return status_class::not_found;
  }
  if (status == 408 || status == 429 || (status >= 500 && status < 600 && status != 501)) {
    return status_class::retry;
  }
  return status_class::rejected;
}

}  // namespace qsanfwd
