/* C glue for libpng, libjpeg and libtiff: decode/encode with errors returned as text, never longjmp'd
 * through Swift frames. */
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
#ifdef __cplusplus
extern "C" {
#endif

/** Version string of the linked codec libraries, for diagnostics. */
const char *ic_library_versions(void);

#ifdef __cplusplus
}
#endif
#endif
