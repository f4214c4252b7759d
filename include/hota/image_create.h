/**
 * @file image_create.h
 * @brief Make valid, unsigned ESP32 app images for tests and demos: ESP-IDF's image format
 *        (esp_image_header_t, segments, XOR checksum, appended SHA-256) with an
 *        esp_app_desc_t at the start of the first (DROM) segment and deterministic filler data.
 *
 * Layout (5 segments, as ESP-IDF's linker places them):
 *   0 DROM 0x3F400020  esp_app_desc_t (256 bytes) + filler
 *   1 DRAM 0x3FFB0000  1 KiB filler
 *   2 IRAM 0x40080000  2 KiB filler (holds the entry point, 0x40080400)
 *   3 IROM 0x400Dxxxx  filler; the address is congruent to its file offset modulo 64 KiB,
 *                      as the flash MMU requires
 *   4 IRAM 0x40080800  512 bytes filler
 * then zero padding so that the checksum byte ends a 16-byte block, then the SHA-256 of every
 * byte before it. The filler comes from a generator seeded by project, version and
 * secure_version, so different versions differ and the same inputs give the same bytes.
 * app_elf_sha256 is the SHA-256 of all filler bytes.
 */
#ifndef HOTA_IMAGE_CREATE_H
#define HOTA_IMAGE_CREATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default total size: 256 KiB. */
#define HOTA_IMAGE_CREATE_DEFAULT_SIZE (256u * 1024u)
/** Largest total size accepted (the IROM and DROM address windows must hold the filler). */
#define HOTA_IMAGE_CREATE_MAX_SIZE (4u * 1024u * 1024u)

/** What to build. Strings are borrowed for the duration of the call. */
typedef struct hota_image_create_params {
    const char *project;      /**< esp_app_desc_t.project_name, 1..31 characters */
    const char *version;      /**< esp_app_desc_t.version, 1..31 characters */
    uint32_t secure_version;  /**< esp_app_desc_t.secure_version */
    const char *chip;         /**< "esp32" (the only chip supported) */
    uint32_t size;            /**< wanted total size; rounded to the nearest multiple of 16 */
    const char *idf_ver;      /**< default "hota" (0..31 characters) */
    const char *time;         /**< default "00:00:00" (0..15 characters) */
    const char *date;         /**< default "Jan  1 2025" (0..15 characters) */
} hota_image_create_params_t;

/** Facts about a created image. */
typedef struct hota_image_create_result {
    uint32_t size;            /**< total bytes written (header .. appended SHA-256) */
    uint8_t segment_count;
    uint8_t checksum;
    uint32_t entry_addr;
    uint8_t sha256[32];       /**< the appended SHA-256 */
    uint8_t app_elf_sha256[32];
} hota_image_create_result_t;

/** Write callback: consume len bytes; return HOTA_OK or an error code that stops creation. */
typedef int (*hota_image_sink_fn)(void *ctx, const uint8_t *buf, size_t len);

/** @brief Fill p with the defaults (esp32, 256 KiB, idf "hota", fixed time and date). */
void hota_image_create_defaults(hota_image_create_params_t *p);

/**
 * @brief The total size an image made from p will have (after rounding).
 * @return HOTA_OK; HOTA_E_INVALID_ARG (strings missing or too long, size below the minimum of
 *         the layout or above HOTA_IMAGE_CREATE_MAX_SIZE); HOTA_E_UNSUPPORTED (chip).
 */
int hota_image_create_size(const hota_image_create_params_t *p, uint32_t *size);

/**
 * @brief Generate the image, streaming it to sink in pieces of at most 4 KiB.
 * @param res NULL or receives the image's facts.
 * @return HOTA_OK; the errors of hota_image_create_size(); any error returned by sink.
 */
int hota_image_create_stream(const hota_image_create_params_t *p, hota_image_sink_fn sink,
                             void *ctx, hota_image_create_result_t *res);

/**
 * @brief Generate the image into buf.
 * @return HOTA_OK (*len set); HOTA_E_BUFFER_TOO_SMALL; the errors of hota_image_create_size().
 */
int hota_image_create_buffer(const hota_image_create_params_t *p, uint8_t *buf, size_t cap,
                             size_t *len, hota_image_create_result_t *res);

/**
 * @brief Generate the image into the file at path (created or replaced).
 * @return HOTA_OK; HOTA_E_FILE_OPEN (cannot create or write); the errors of
 *         hota_image_create_size().
 */
int hota_image_create_file(const hota_image_create_params_t *p, const char *path,
                           hota_image_create_result_t *res);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_IMAGE_CREATE_H */
