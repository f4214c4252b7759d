/* Internal interfaces between the files of the probe layer. */
#ifndef HOTA_PROBE_INT_H
#define HOTA_PROBE_INT_H

#include "hota/probe.h"

/** Bound of every graceful close the probe makes (our close_notify, FIN, drain). */
#define PROBE_CLOSE_WAIT_MS 200u
/** Largest body read from a 206 response (a correct one has HOTA_PROBE_RANGE_LEN bytes). */
#define PROBE_RANGE_BODY_MAX 256u
/** Body bytes read on the max_fragment_length connection to see its record sizes. */
#define PROBE_MFL_SAMPLE (64u * 1024u)

/* main.c */
int probe_main(hota_probe_t *p);
void probe_http_cfg(const hota_probe_t *p, hota_http_cfg_t *hc, hota_cf_t *transport);
int probe_open(hota_probe_t *p, unsigned max_frag_len);

/* range.c */
void probe_range_eval(hota_probe_t *p, hota_http_t *h, hota_probe_range_t *r, int rc,
                      const uint8_t *expect, size_t expect_len);
void probe_ranges(hota_probe_t *p);

/* peer.c */
void probe_peer_capture(hota_probe_t *p);
void probe_mfl(hota_probe_t *p);

/* verdict.c */
void probe_verdicts(hota_probe_t *p);

#endif
