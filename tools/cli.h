/* cli.h: what the command-line tools share: one-line fatal errors, and option values
 * parsed with the option named in the message when they are wrong. */
#ifndef SRRES_CLI_H
#define SRRES_CLI_H

#include "srres.h"

/* Descriptors 0, 1 and 2 that the tool was started without, opened on /dev/null (read-only,
 * so that writes to a closed standard output still fail): else the first file the tool
 * opens takes the number, and its messages went into the output video. Call first in
 * main, before anything opens a file. */
void cli_std_fds(void);

/* `program` prefixes every message; `fatal_exit` (NULL: print the line and exit) says the
 * line of a fatal error, "program: message\n", and ends the process (srres-train: the MPI
 * job, the line said once). At exit, output lost on standard output is an error: status 1
 * and a line. */
void cli_init(const char *program, void (*fatal_exit)(int status, const char *line));

/* --version: the tool's (libsrres's) version and those of the libraries it runs with, as a
 * bug report wants them, on standard output. */
void cli_version(void);

/* Prints "program: message" and ends with status 1. */
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* What getopt_long found wrong (c is its '?' or ':'), in one line naming the option as given;
 * ends with status 2. `shorts` is the short options, led by ':' so that getopt prints nothing
 * itself: its line, followed by the whole usage, scrolled out of sight. */
void cli_bad_option(int c, char *const *argv, const char *shorts) __attribute__((noreturn));
/* The same line for a word the tool knows to be no option before getopt_long misreads it;
 * `hint` (or NULL) says what to give instead. */
void cli_not_an_option(const char *word, const char *hint) __attribute__((noreturn));

/* s, a file name given to `opt`; an empty one ("$OUT" of an unset variable) is refused, as
 * it was taken for a file of no name and found out only when written, after training. */
const char *cli_file(const char *opt, const char *s);
long cli_long(const char *opt, const char *s, long lo, long hi);
double cli_double(const char *opt, const char *s, double lo, double hi);
/* The index of s among names[0..n). */
int cli_choice(const char *opt, const char *s, const char *const *names, int n);

/* The library's run options that srres-video and srres-eval both take, from the values of
 * --kernel (auto, avx2 or baseline), --precision (fp32 or bf16) and --ensemble (1, 2, 4 or 8). */
srres_kernel cli_kernel(const char *s);
srres_precision cli_precision(const char *s);
int cli_ensemble(const char *s);

/* srres_model_load (a model file, or the model a srres-train checkpoint's run writes), or
 * dies with its message. */
srres_model *cli_load_model(const char *path);

/* The bytes of the control character at p (C0, DEL, or C1 as UTF-8 spells it: U+009B is a
 * terminal's CSI), 0 for any other: what the tools never print from a file's text. */
int cli_control_bytes(const char *p);

/* "x2, 1 block x 32 channels, image skip nearest": a network as the tools describe it, in
 * buf. */
const char *cli_network(char *buf, size_t n, const srres_config *c);

#endif
