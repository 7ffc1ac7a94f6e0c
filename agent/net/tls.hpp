#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "agent/net/tls_options.hpp"

namespace qsanfwd::net {

/// The SSL context for `tls`: system CAs plus `ca_file` and peer verification, or a SHA-256
/// pin of the leaf certificate instead of the chain, or no verification; the client
/// certificate. One context is shared by every peer with the same settings (an SSL_CTX is
/// ~33 KiB, and a fleet's arrays have one or a few): the peer's name goes into each
/// connection (name_the_peer). A file changed on disk since (a reload) is read into a new
/// context; those made before keep theirs. Throws on unreadable files (a start-up error).
std::shared_ptr<boost::asio::ssl::context> client_tls_context(const tls_options& tls);

/// Names the peer of a client connection about to shake hands on `ssl`: the name for SNI
/// (unless `host` is an IP address) and the one its certificate must hold, when the context
/// verifies the chain (a pin checks the certificate itself; `verify: false` nothing).
void name_the_peer(SSL* ssl, const std::string& host);

/// After a handshake on `ssl` failed: when the peer's certificate did not verify (or did not
/// match the pin), why ("self-signed certificate") and the SHA-256 of the peer's own
/// certificate, in the form `pin_sha256` takes, for the user to check and paste; else "".
std::string unverified_certificate_note(SSL* ssl);

}  // namespace qsanfwd::net
