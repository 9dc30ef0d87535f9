/* input_list.h: command-line inputs (files and folders) expanded into media files. */
#ifndef SRRES_INPUT_LIST_H
#define SRRES_INPUT_LIST_H

typedef struct input_list {
    char **paths;
    int count;
} input_list;

/* Appends `arg`: a file as is, a folder as its video and image files (sorted, one level).
 * Returns 0, or -1 with a message naming the path. */
int input_list_add(input_list *list, const char *arg, char *err, int errlen);
void input_list_free(input_list *list);

#endif
