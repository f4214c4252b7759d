/**
 * @file error.h
 * @brief The one error enum of hota, with stable numbers.
 *
 * Every hota function that can fail returns an int that is either HOTA_OK (0) or one of the
 * HOTA_E_* codes below. Numbers never change once released; new codes are only appended inside
 * their layer's range. hota_strerror() gives a sentence, hota_errname() the stable upper-case
 * name used in the CLI's JSON output (without the HOTA_E_ prefix).
 *
 * Ranges: 1-19 core, 20-59 transport, 60-99 http, 100-139 flash and device, 140-179 image trust,
 * 180-219 ota engine, 220-239 cli.
 */
#ifndef HOTA_ERROR_H
#define HOTA_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, number, message) */
#define HOTA_ERROR_LIST(X)                                                                    \
    X(OK, 0, "success")                                                                        \
    /* core */                                                                                 \
    X(INVALID_ARG, 1, "invalid argument")                                                      \
    X(NO_MEMORY, 2, "out of memory")                                                           \
    X(BUFFER_TOO_SMALL, 3, "buffer too small")                                                 \
    X(IO, 4, "input/output error")                                                             \
    X(NOT_FOUND, 5, "not found")                                                               \
    X(BAD_STATE, 6, "operation not allowed in this state")                                     \
    X(UNSUPPORTED, 7, "not supported")                                                         \
    X(INTERNAL, 8, "internal error")                                                           \
    X(IN_PROGRESS, 9, "operation in progress")                                                 \
    X(FILE_OPEN, 10, "cannot open file")                                                       \
    X(ABORTED, 11, "aborted by the caller")                                                    \
    /* transport */                                                                            \
    X(RESOLVE, 20, "host name could not be resolved")                                          \
    X(CONNECT, 21, "connection refused or unreachable")                                        \
    X(TIMEOUT, 22, "timed out")                                                                \
    X(CONN_RESET, 23, "connection reset by peer")                                              \
    X(PEER_FIN, 24, "peer closed TCP without TLS close_notify")                                \
    X(CLOSE_NOTIFY, 25, "peer ended TLS with close_notify")                                    \
    X(SEND, 26, "send failed")                                                                 \
    X(TLS_HANDSHAKE, 27, "TLS handshake failed")                                               \
    X(CERT_VERIFY, 28, "server certificate verification failed")                               \
    X(CERT_HOSTNAME, 29, "server certificate does not match the host name")                    \
    X(CERT_EXPIRED, 30, "server certificate expired or not yet valid")                         \
    X(TLS_VERSION, 31, "server does not offer TLS 1.2 or newer")                               \
    X(TLS_CLIENT_CERT, 32, "server requires a client certificate")                             \
    X(TLS_CONFIG, 33, "TLS configuration error (CA, certificate or key)")                      \
    X(TLS_ALERT, 34, "fatal TLS alert from peer")                                              \
    X(TLS, 35, "TLS protocol error")                                                           \
    X(CA_LOAD, 36, "cannot load CA certificates")                                              \
    X(CERT_LOAD, 37, "cannot load client certificate")                                         \
    X(KEY_LOAD, 38, "cannot load private key")                                                 \
    X(SOCKET, 39, "socket error")                                                              \
    X(CLOSED, 40, "connection already closed")                                                 \
    /* http */                                                                                 \
    X(URL, 60, "malformed URL")                                                                \
    X(URL_SCHEME, 61, "unsupported URL scheme")                                                \
    X(HTTP_PARSE, 62, "malformed HTTP response")                                               \
    X(HTTP_STATUS_LINE, 63, "malformed HTTP status line")                                      \
    X(HEADER_TOO_LONG, 64, "HTTP header block exceeds the limit")                              \
    X(CL_AND_TE, 65, "response has both Content-Length and Transfer-Encoding")                 \
    X(CL_CONFLICT, 66, "response has conflicting Content-Length headers")                      \
    X(CHUNK_SIZE, 67, "invalid or oversized chunk size")                                       \
    X(TRUNCATED, 68, "body ended before its framing said it was complete")                     \
    X(HTTP_STATUS, 69, "unexpected HTTP status")                                               \
    X(REDIRECT_LIMIT, 70, "too many redirects")                                                \
    X(REDIRECT_INSECURE, 71, "refusing redirect from HTTPS to HTTP")                           \
    X(REDIRECT, 72, "invalid redirect")                                                        \
    X(HTTP_AUTH, 73, "authentication failed")                                                  \
    X(CONTENT_RANGE, 74, "invalid or unexpected Content-Range")                                \
    X(RESOURCE_CHANGED, 75, "resource changed on the server")                                  \
    X(TOO_MANY_HEADERS, 76, "too many HTTP headers")                                           \
    X(BODY_TOO_LARGE, 77, "body larger than allowed")                                          \
    X(NO_BODY_END, 78, "server sent no end of body")                                           \
    /* flash, partition table, otadata, boot */                                                \
    X(FLASH_RANGE, 100, "flash address out of range")                                          \
    X(FLASH_ALIGN, 101, "flash address not aligned")                                           \
    X(FLASH_NOT_ERASED, 102, "write over non-erased flash")                                    \
    X(FLASH_SIZE, 103, "flash file has the wrong size")                                        \
    X(FLASH_IO, 104, "flash backing file error")                                               \
    X(POWER_CUT, 105, "power lost (injected fault)")                                           \
    X(PART_MAGIC, 106, "partition table entry has a bad magic")                                \
    X(PART_MD5, 107, "partition table MD5 mismatch")                                           \
    X(PART_OVERLAP, 108, "partitions overlap")                                                 \
    X(PART_ALIGN, 109, "partition offset or size not aligned")                                 \
    X(PART_CSV, 110, "malformed partition CSV")                                                \
    X(PART_TABLE, 111, "invalid partition table")                                              \
    X(PART_NOT_FOUND, 112, "partition not found")                                              \
    X(NO_OTA_SLOTS, 113, "partition table has no OTA slots")                                   \
    X(OTADATA, 114, "invalid otadata")                                                         \
    X(RUNNING_SLOT, 115, "refusing to write the running slot")                                 \
    X(PENDING_VERIFY, 116, "running app is still pending verification")                        \
    X(NO_BOOTABLE, 117, "no bootable app")                                                     \
    X(ROLLBACK_IMPOSSIBLE, 118, "no valid app to roll back to")                                \
    X(EFUSE, 119, "invalid eFuse state")                                                       \
    X(IMAGE_TOO_LARGE, 120, "image larger than the target slot")                               \
    X(OTA_NOT_BEGUN, 121, "OTA write without begin")                                           \
    X(FLASH_READBACK, 122, "slot read back differs from the bytes written")                    \
    /* image trust */                                                                          \
    X(IMAGE_MAGIC, 140, "not an ESP app image (bad magic)")                                    \
    X(IMAGE_HEADER, 141, "invalid image header")                                               \
    X(IMAGE_SEGMENT, 142, "invalid image segment")                                             \
    X(IMAGE_CHECKSUM, 143, "image checksum mismatch")                                          \
    X(IMAGE_HASH, 144, "image SHA-256 mismatch")                                               \
    X(IMAGE_TRUNCATED, 145, "image incomplete")                                                \
    X(IMAGE_CHIP, 146, "image built for another chip or revision")                             \
    X(NO_APP_DESC, 147, "image has no app description")                                        \
    X(SECURE_VERSION, 148, "image secure_version below the eFuse anti-rollback value")         \
    X(SAME_VERSION, 149, "image version is the version already running")                       \
    X(SIG_MISSING, 150, "image is not signed")                                                 \
    X(SIG_BLOCK, 151, "invalid signature block")                                               \
    X(SIG_CRC, 152, "signature block CRC mismatch")                                            \
    X(SIG_DIGEST, 153, "signature block digest does not match the image")                      \
    X(SIG_INVALID, 154, "signature verification failed")                                       \
    X(SIG_UNTRUSTED, 155, "no signature from a trusted key")                                   \
    X(KEY, 156, "unsupported or invalid key")                                                  \
    X(SIGN, 157, "signing failed")                                                             \
    X(IMAGE_TRAILING, 158, "unexpected data after the image")                                  \
    /* ota engine */                                                                           \
    X(OTA_STATE, 180, "OTA handle in the wrong state")                                         \
    X(OTA_RESUME, 181, "cannot resume: progress record invalid")                               \
    X(RETRIES, 182, "retry budget exhausted")                                                  \
    /* cli */                                                                                  \
    X(USAGE, 220, "usage error")

#define HOTA_ERR_ENUM_(name, num, msg) HOTA_E_##name = num,
/** Error codes. HOTA_OK is 0; everything else is an error. */
typedef enum hota_err { HOTA_ERROR_LIST(HOTA_ERR_ENUM_) HOTA_E_MAX_ } hota_err_t;
#undef HOTA_ERR_ENUM_
#define HOTA_OK HOTA_E_OK

/**
 * @brief A human-readable sentence for an error code.
 * @param err any int; unknown codes give "unknown error".
 * @return a static string, never NULL.
 */
const char *hota_strerror(int err);

/**
 * @brief The stable upper-case name of an error code (e.g. "TRUNCATED"), "OK" for 0.
 * @param err any int; unknown codes give "UNKNOWN".
 * @return a static string, never NULL.
 */
const char *hota_errname(int err);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_ERROR_H */
