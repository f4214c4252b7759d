/**
 * @file image.h
 * @brief ESP app images: a streaming verifier and whole-image checks of bytes at rest.
 *
 * An ESP-IDF app image is a 24-byte header (magic 0xE9), up to 16 segments (8-byte header:
 * load address, length; then the data), zero padding up to the XOR checksum byte (the byte
 * whose offset is 15 modulo 16) and, when the header says so, a SHA-256 of everything before
 * it. An esp_app_desc_t sits at the start of the first segment's data (image offset 0x20).
 * A Secure Boot V2 signed image continues with 0xFF padding up to a 4 KiB boundary and one
 * 4096-byte signature sector of 1 to 3 signature blocks (see sbv2.h).
 *
 * The verifier takes the image in pieces of any size (1 byte works, the result is the same as
 * for one big piece) and refuses it at the earliest byte that decides: wrong magic or header at
 * the header byte, wrong chip at the chip id, missing app description or low secure_version
 * inside the first segment, a size beyond the slot as soon as the segment headers tell.
 * Its state has a fixed size (about 2.4 KiB, including one 1216-byte signature block buffer:
 * the blocks of the signature sector are checked one by one as they arrive): nothing is
 * allocated.
 */
#ifndef HOTA_IMAGE_H
#define HOTA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/sha512.h>

#include "hota/sha256.h"

#include "hota/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_IMAGE_MAGIC 0xE9u             /**< first byte of every app image */
#define HOTA_IMAGE_MAX_SEGMENTS 16         /**< ESP_IMAGE_MAX_SEGMENTS */
#define HOTA_IMAGE_HEADER_SIZE 24u         /**< sizeof(esp_image_header_t) */
#define HOTA_IMAGE_SEG_HEADER_SIZE 8u      /**< sizeof(esp_image_segment_header_t) */
#define HOTA_IMAGE_MAX_LEN (16u << 20)     /**< no image (or segment) reaches 16 MiB */
#define HOTA_APP_DESC_OFFSET 0x20u         /**< esp_app_desc_t: start of segment 0's data */
#define HOTA_APP_DESC_SIZE 256u            /**< sizeof(esp_app_desc_t) */
#define HOTA_APP_DESC_MAGIC 0xABCD5432u    /**< esp_app_desc_t.magic_word */
#define HOTA_IMAGE_SIG_SECTOR_SIZE 4096u   /**< the Secure Boot V2 signature sector */
#define HOTA_SBV2_MAX_BLOCKS 3             /**< signature blocks per sector */
#define HOTA_IMAGE_SIG_BLOCK_SIZE 1216u    /**< one signature block (HOTA_SBV2_BLOCK_SIZE) */
/** Bytes hota_image_verify_flash() reads per call (one stack buffer of this size). */
#define HOTA_IMAGE_READ_PIECE (32u * 1024u)

/** The fields of esp_app_desc_t, strings NUL-terminated. */
typedef struct hota_app_desc {
    uint32_t secure_version;
    char version[33], project_name[33], time[17], date[17], idf_ver[33];
    uint8_t app_elf_sha256[32];
} hota_app_desc_t;

/** Secure Boot V2 signature schemes. */
typedef enum {
    HOTA_SIG_NONE = 0,
    HOTA_SIG_RSA3072,
    HOTA_SIG_ECDSA256,
    HOTA_SIG_ECDSA384
} hota_sig_scheme_t;

/** One signature block of the signature sector. */
typedef struct hota_sig_info {
    hota_sig_scheme_t scheme; /**< HOTA_SIG_NONE when the block could not be parsed */
    uint8_t key_digest[32];   /**< SHA-256 of the block's public key, as espsecure prints it */
    int valid;                /**< signature verifies over the image digest */
    int trusted;              /**< valid and key_digest is in the policy's trusted list */
    int result;               /**< HOTA_OK or why the block failed (SIG_CRC, SIG_DIGEST, ...) */
} hota_sig_info_t;

/** What the verifier learnt about an image; fields fill in as their bytes arrive. */
typedef struct hota_image_info {
    uint16_t chip_id;
    uint8_t spi_mode, spi_speed, spi_size;
    uint32_t entry_addr;
    uint16_t min_chip_rev_full, max_chip_rev_full;
    int hash_appended;
    uint8_t segment_count;
    struct {
        uint32_t load_addr, length, offset; /**< offset: of the data in the image */
    } segments[HOTA_IMAGE_MAX_SEGMENTS];
    uint8_t checksum;      /**< the checksum byte stored in the image */
    uint8_t checksum_calc; /**< the checksum computed over the segment data */
    int checksum_valid;
    int hash_valid;        /**< appended SHA-256 matches (0 when none is appended) */
    uint8_t hash[32];      /**< the appended SHA-256 as stored */
    uint32_t image_len;    /**< header .. appended hash inclusive (0 until known) */
    uint32_t signed_len;   /**< image_len rounded up to 4096 (start of signature sector) */
    uint32_t total_len;    /**< image_len, or signed_len + 4096 when a signature sector follows */
    int has_app_desc;
    hota_app_desc_t app;
    int sig_count;         /**< signature blocks found in the sector (set at its last byte) */
    uint32_t parsed_len;   /**< bytes taken so far: a field is known once its bytes are in */
    hota_sig_info_t sigs[HOTA_SBV2_MAX_BLOCKS]; /**< the first sig_count are the blocks */
} hota_image_info_t;

/** What an image must satisfy. All-zero with chip_id = -1 accepts any well-formed image. */
typedef struct hota_image_policy {
    int chip_id;                       /**< -1: any, else must equal header chip_id */
    uint32_t min_secure_version;       /**< eFuse anti-rollback value */
    const uint8_t (*trusted_keys)[32]; /**< Secure Boot V2 key digests held in eFuse */
    size_t n_trusted;                  /**< > 0 means a trusted signature is required */
    int require_app_desc;              /**< 1: refuse images without esp_app_desc_t */
    uint32_t max_len;                  /**< 0: no limit, else the target slot size */
    /** 1: checksum, hash and signature defects do not stop feed(): they are recorded in the
     *  info and finish() returns the first one (for reports such as `hota image info`). */
    int report_all;
    /** 1: ECDSA P-384 signature blocks may be used: also compute the SHA-384 of
     *  [0, signed_len) they sign (a second pass over every byte). It is computed as well when
     *  chip_id is -1 (any chip) or report_all is set. Otherwise (a given chip, e.g. the ESP32,
     *  whose Secure Boot V2 uses RSA-3072 or P-256 only) a P-384 block is never valid: its
     *  result is HOTA_E_UNSUPPORTED. */
    int want_sha384;
} hota_image_policy_t;

/** Streaming verifier state. Caller-allocated; fixed size; treat as opaque. */
typedef struct hota_image_verifier {
    hota_image_policy_t policy; /* copy; policy.trusted_keys must outlive the verifier */
    hota_image_info_t info;
    int state;                  /* enum in verifier.c */
    int err;                    /* first fatal error (sticky) */
    int defect;                 /* report_all: first recorded defect */
    int desc_decided;           /* 1 once app desc presence (and fields) are known */
    uint32_t off;               /* bytes consumed so far */
    uint32_t need;              /* bytes left in the current state */
    uint32_t pos;               /* bytes collected into small[] */
    uint32_t seg;               /* current segment index */
    uint32_t seg_done;          /* bytes of the current segment's data consumed */
    uint8_t xsum;               /* running XOR checksum */
    uint8_t sig_blocks;         /* signature blocks found so far (info.sig_count at the end) */
    int sha384_on;              /* the SHA-384 pass runs (see policy.want_sha384) */
    uint8_t small[32];          /* header, segment header or appended hash */
    union {                     /* one member per stretch of the image, never two at once */
        uint8_t desc_raw[HOTA_APP_DESC_SIZE]; /* segment 0: esp_app_desc_t */
        uint8_t hash_calc[32];  /* checksum byte .. appended hash: SHA-256 of [0, checksum] */
        struct {                /* the signature sector */
            uint8_t block[HOTA_IMAGE_SIG_BLOCK_SIZE]; /* the block being received */
            uint8_t d256[32];   /* SHA-256 of [0, signed_len), final at the sector's 1st byte */
            uint8_t d384[48];   /* its SHA-384 (when sha384_on) */
        } sig;
    } u;
    hota_sha256_t sha;          /* over [0, signed_len) */
    mbedtls_sha512_context sha384; /* SHA-384 over [0, signed_len) when sha384_on */
} hota_image_verifier_t;

/**
 * @brief Prepare a verifier. Cannot fail.
 * @param v caller-allocated state.
 * @param p policy, copied; NULL accepts any well-formed image. p->trusted_keys is referenced,
 *          not copied: it must stay valid until the last call on v.
 */
void hota_image_verifier_init(hota_image_verifier_t *v, const hota_image_policy_t *p);

/** @brief Release the verifier's resources; safe to call twice. */
void hota_image_verifier_free(hota_image_verifier_t *v);

/**
 * @brief Feed the next piece of the image (any size; len 0 is fine).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (buf NULL with len > 0; nothing taken, not sticky); or
 *         the first error about the image, which is sticky (later calls return it again):
 *         HOTA_E_IMAGE_MAGIC, HOTA_E_IMAGE_HEADER,
 *         HOTA_E_IMAGE_SEGMENT, HOTA_E_IMAGE_CHECKSUM, HOTA_E_IMAGE_HASH, HOTA_E_IMAGE_CHIP,
 *         HOTA_E_NO_APP_DESC, HOTA_E_SECURE_VERSION, HOTA_E_IMAGE_TOO_LARGE,
 *         HOTA_E_SIG_MISSING, HOTA_E_SIG_UNTRUSTED, HOTA_E_SIG_INVALID, HOTA_E_SIG_DIGEST,
 *         HOTA_E_SIG_CRC, HOTA_E_SIG_BLOCK, HOTA_E_KEY, HOTA_E_UNSUPPORTED (signature
 *         verdicts, only when the policy requires a trusted signature, at the last byte of
 *         the signature sector; UNSUPPORTED: a P-384 block without the SHA-384 pass, see
 *         want_sha384), HOTA_E_IMAGE_TRAILING (bytes after completion).
 */
int hota_image_verifier_feed(hota_image_verifier_t *v, const uint8_t *buf, size_t len);

/**
 * @brief 1 once the header and the app description are decided: the esp_app_desc_t has fully
 *        arrived (info.has_app_desc = 1, info.app filled) or the image is known to have none.
 */
int hota_image_verifier_app_desc_ready(const hota_image_verifier_t *v);

/**
 * @brief 1 when the image is complete: all segments, checksum and appended hash received and,
 *        when any byte past image_len arrived or a signature is required, the whole signature
 *        sector too. 0 otherwise (also after an error).
 */
int hota_image_verifier_is_complete(const hota_image_verifier_t *v);

/**
 * @brief Bytes the verifier can take before it reaches the end of the image (image_len):
 *        0 once it is there. Lets readers of bytes at rest stop exactly at the image end.
 */
uint32_t hota_image_verifier_wanted(const hota_image_verifier_t *v);

/**
 * @brief Final verdict after the last byte. Does not change the state.
 * @return HOTA_OK only if complete and trusted by the policy; the sticky feed error if any;
 *         HOTA_E_SIG_MISSING when a signature is required and the input ended at image_len;
 *         HOTA_E_IMAGE_TRUNCATED if incomplete; with report_all the first recorded defect
 *         (HOTA_E_IMAGE_CHECKSUM, HOTA_E_IMAGE_HASH, or a signature block's error).
 */
int hota_image_verifier_finish(hota_image_verifier_t *v);

/**
 * @brief SHA-256 of the bytes taken so far, [0, parsed_len), while they are all part of the
 *        signed range [0, signed_len): the digest the running hash would give now (it goes
 *        on). Lets a caller fingerprint a prefix of the image without a hash of its own.
 * @return HOTA_OK (out filled); the sticky feed error; HOTA_E_BAD_STATE when bytes of the
 *         signature sector were taken (they are not hashed).
 */
int hota_image_verifier_digest(const hota_image_verifier_t *v, uint8_t out[32]);

/** @brief What is known so far; valid as long as v. */
const hota_image_info_t *hota_image_verifier_info(const hota_image_verifier_t *v);

/**
 * @brief Verify an image at rest in flash, read in pieces of at most HOTA_IMAGE_READ_PIECE.
 *
 * Reads exactly up to image_len; the signature sector at signed_len is read too when the
 * policy requires a signature or when the sector there holds a signature block.
 * @param f flash device.
 * @param addr absolute flash address of the image (the slot's start).
 * @param max_len the slot's size (0: up to the end of the flash); combined with p->max_len.
 * @param p policy (NULL: any well-formed image).
 * @param out receives the info (also on failure, as far as parsed); may be NULL.
 * @return as hota_image_verifier_finish, or HOTA_E_FLASH_RANGE / HOTA_E_FLASH_IO from reads,
 *         HOTA_E_INVALID_ARG (f NULL or addr beyond the flash).
 */
int hota_image_verify_flash(hota_flash_t *f, uint32_t addr, uint32_t max_len,
                            const hota_image_policy_t *p, hota_image_info_t *out);

/**
 * @brief Verify a whole image in memory (feed everything, then finish).
 * @param out receives the info (also on failure); may be NULL.
 * @return as hota_image_verifier_feed / hota_image_verifier_finish; HOTA_E_INVALID_ARG when
 *         buf is NULL with len > 0.
 */
int hota_image_verify_buffer(const uint8_t *buf, size_t len, const hota_image_policy_t *p,
                             hota_image_info_t *out);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_IMAGE_H */
