/* concat.h: srres-video --concat: segments made with --segment I/N joined into one file. */
#ifndef SRRES_CONCAT_H
#define SRRES_CONCAT_H

/* Writes the packets of files[0..n) in order into `output` (temporary name, then rename).
 * Returns the process exit status; errors are printed as one line naming the file. */
int concat_segments(const char *output, int overwrite, int quiet, char **files, int n);

#endif
