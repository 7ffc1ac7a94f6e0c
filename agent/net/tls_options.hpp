#pragma once

#include <string>

namespace qsanfwd::net {

/// How a client checks its peer and proves itself, as the configuration gives it (`tls` of a
/// device or a sink) and as client_tls_context() takes it: one type from config to socket.
/// A header of plain fields, so the config layer can fill it without linking the transport.
/// A field added here joins the key of the shared contexts (context_key in tls.cpp).
struct tls_options {
  bool verify = true;
  std::string ca_file;
  std::string cert_file;  ///< client certificate, for peers that ask for one
  std::string key_file;
  std::string pin_sha256;  ///< "" or 64 lower-case hex digits of the leaf certificate's SHA-256
};

}  // namespace qsanfwd::net
