/* numbered_name.h: the files of an image muxer's or demuxer's numbered name (up/f%04d.png):
 * which of its names exist, and whether a path is one of them. Both sides ask: the output
 * before writing over a folder and after (output_file.c), the input where its sequence
 * stopped (input_name.c). */
#ifndef SRRES_NUMBERED_NAME_H
#define SRRES_NUMBERED_NAME_H

#include <stddef.h>
#include <stdint.h>

/* The files of a numbered name but those of numbers lo to hi under the name the pattern gives
 * them (up/f0004.png for 4, not up/f04.png), and, where `exact`, any of a name it gives no
 * number: how many, and the lowest numbered one's path into found (its folder written as in
 * the pattern). */
long numbered_others(const char *pattern, int64_t lo, int64_t hi, int exact, char *found,
                     size_t size);

/* Whether a file of its names exists, any number (the lowest numbered one's path into found,
 * of size bytes). */
int numbered_existing(const char *pattern, char *found, size_t size);

/* Whether path, its folder resolved, is one of its names. */
int numbered_includes(const char *pattern, const char *path);

#endif
