#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "agent/net/tls_options.hpp"

namespace qsanfwd::net {

/// The SSL context for `tls`: system CAs plus `ca_file`, peer verification with the host name
/// check, or a SHA-256 pin of the leaf certificate instead of the chain. Throws on unreadable
/// files (a start-up error).
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const tls_options& tls,
                                                                   const std::string& host);

/// After a handshake on `ssl` failed: when the peer's certificate did not verify (or did not
/// match the pin), why ("self-signed certificate") and the SHA-256 of the peer's own
/// certificate, in the form `pin_sha256` takes, for the user to check and paste; else "".
std::string unverified_certificate_note(SSL* ssl);

}  // namespace qsanfwd::net
