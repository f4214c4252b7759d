#!/bin/sh
# Creates the certificates of the transport tests in directory $1 (EC P-256, openssl CLI):
#   ca.crt/ca.key          test CA
#   server.crt/key         localhost, SAN DNS:localhost IP:127.0.0.1 IP:::1 (signed by ca)
#   other.crt/key          other.example only (signed by ca)
#   expired.crt/key        localhost, valid 2020-2021 (signed by ca)
#   rogue.crt/key          localhost, self-signed (unknown CA)
#   client.crt/key         client certificate for mTLS (signed by ca)
set -eu
d=$1
cd "$d"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
san_local="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=hota test CA" -days 30 -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# sign NAME SUBJECT EXT [ca args]: a CA-signed leaf via `openssl ca` (allows explicit dates).
mkdir -p db
: > db/index.txt
echo 1000 > db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = tca
[tca]
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.crt
private_key = ca.key
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
[pol]
commonName = supplied
CNF
sign() {
    name=$1 subj=$2 ext=$3
    shift 3
    key "$name.key"
    openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
    printf '%s\n' "$ext" "basicConstraints=CA:FALSE" > "$name.ext"
    openssl ca -batch -config ca.cnf -in "$name.csr" -out "$name.crt" -notext \
        -extfile "$name.ext" "$@" 2>/dev/null
}
sign server "/CN=localhost" "$san_local" -days 30
sign other "/CN=other.example" "subjectAltName=DNS:other.example" -days 30
sign expired "/CN=localhost" "$san_local" -startdate 20200101000000Z -enddate 20210101000000Z
sign client "/CN=hota test client" "extendedKeyUsage=clientAuth" -days 30

key rogue.key
openssl req -x509 -new -key rogue.key -subj "/CN=localhost" -days 30 -out rogue.crt \
    -addext "$san_local"
