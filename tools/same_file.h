/* same_file.h: whether two paths name one file, before any of them is written. */
#ifndef SRRES_SAME_FILE_H
#define SRRES_SAME_FILE_H

/* 1 if a and b name the same file: the same device and inode when either exists (hard and
 * symbolic links included), else the same path once their folders are resolved
 * ("out/../m.ckpt" and "m.ckpt"); 0 otherwise. */
int same_file(const char *a, const char *b);

/* path with its folder made absolute and free of links, "." and ".." into buf (the file
 * itself need not exist); 0 if the folder does not resolve or buf is too small. */
int resolve_folder(const char *path, char *buf, size_t n);

/* 1 if path exists and is not a regular file (a device, a FIFO, a folder). */
int special_file(const char *path);

#endif
