/* input_list.h: command-line inputs (files and folders) expanded into media files. */
#ifndef SRRES_INPUT_LIST_H
#define SRRES_INPUT_LIST_H

typedef struct input_list {
    char **paths;
    int count;
    int skipped;    /* files in the folders given whose extension is no video's or image's */
    int subfolders; /* folders in the folders given, which are not read */
    int not_files;  /* FIFOs, sockets and devices in the folders given, which are not read */
    int dangling;   /* links to nothing in the folders given, which are not read */
} input_list;

/* Appends `arg`: a file as is, a folder as its video and image files (sorted, one level;
 * hidden files left out, subfolders counted in `subfolders`, FIFOs, sockets and devices in
 * `not_files`, links to nothing in `dangling`, other files in `skipped`). Returns 0, or -1 with a message naming the path; a
 * FIFO, socket or device given is refused (the tools read their inputs from files, more
 * than once), and so is a URL ("http://...") that names no file. */
int input_list_add(input_list *list, const char *arg, char *err, int errlen);
/* The shortest tail of input `i`'s path, in whole components, that no other input's path
 * ends with: a name that tells apart the many wallpapers called 2560x1600.jpg. */
const char *input_list_name(const input_list *list, int i);
/* Says on stderr, as `program`, how many files, FIFOs (sockets, devices), links to nothing
 * and subfolders of the folders given were skipped, if any: a run without some of its files
 * looks whole. */
void input_list_say_skipped(const input_list *list, const char *program);
/* How many inputs name a file given before them (by another path or link too); with `drop`,
 * those are removed, the first of each kept in its place. -1: out of memory. */
int input_list_repeats(input_list *list, int drop);
void input_list_free(input_list *list);

#endif
