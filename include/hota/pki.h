/**
 * @file pki.h
 * @brief Test and demo certificates made with mbedTLS alone: an EC P-256 certificate authority
 *        and a TLS server certificate it signs (subjectAltName DNS and IPv4), written as PEM.
 *
 * Validity runs from 2024-01-01 to 2049-12-31 (UTC). Private keys are written unencrypted
 * (SEC1 "EC PRIVATE KEY" PEM) with the process's default file permissions: these are
 * development credentials, never for a product.
 */
#ifndef HOTA_PKI_H
#define HOTA_PKI_H

#ifdef __cplusplus
extern "C" {
#endif

/** File names written by hota_pki_make_localhost() inside its directory. */
#define HOTA_PKI_CA_CERT "ca.pem"
#define HOTA_PKI_CA_KEY "ca.key"
#define HOTA_PKI_SERVER_CERT "server.pem"
#define HOTA_PKI_SERVER_KEY "server.key"

/**
 * @brief Make a new P-256 key and a self-signed CA certificate (basicConstraints CA:TRUE
 *        critical, keyUsage keyCertSign+cRLSign, subject and authority key identifiers).
 * @param cert_path   PEM certificate written here (replaced if present).
 * @param key_path    PEM private key written here.
 * @param common_name subject CN (1..64 characters, no ',' '=' or '\\'); the subject is
 *                    "CN=<common_name>,O=hota".
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_IO (entropy); HOTA_E_KEY (key generation);
 *         HOTA_E_SIGN (certificate writing); HOTA_E_FILE_OPEN (cannot write a file).
 */
int hota_pki_make_ca(const char *cert_path, const char *key_path, const char *common_name);

/**
 * @brief Make a new P-256 key and a server certificate signed by the CA in ca_cert_path /
 *        ca_key_path, with subject CN=<dns_name>, subjectAltName DNS:<dns_name> (and
 *        IP:<ipv4> when given), keyUsage digitalSignature, extendedKeyUsage serverAuth.
 * @param ipv4 dotted-quad address for the IP entry, or NULL for none.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (bad name or address); HOTA_E_CERT_LOAD (CA cert);
 *         HOTA_E_KEY_LOAD (CA key); HOTA_E_IO; HOTA_E_KEY; HOTA_E_SIGN; HOTA_E_FILE_OPEN.
 */
int hota_pki_make_server(const char *ca_cert_path, const char *ca_key_path,
                         const char *cert_path, const char *key_path, const char *dns_name,
                         const char *ipv4);

/**
 * @brief Make a CA and a server certificate for "localhost" and 127.0.0.1 inside dir (which
 *        must exist), named HOTA_PKI_CA_CERT, HOTA_PKI_CA_KEY, HOTA_PKI_SERVER_CERT and
 *        HOTA_PKI_SERVER_KEY.
 * @return as hota_pki_make_ca() and hota_pki_make_server(); HOTA_E_BUFFER_TOO_SMALL when a
 *         path would exceed 1024 bytes.
 */
int hota_pki_make_localhost(const char *dir);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_PKI_H */
