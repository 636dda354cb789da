/*
 * unit.h — what the C unit tests (tests/test_*.c) share: counting checks
 * and reporting the ones that fail.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

static int checks, failures;

/* Count one check of the case called name; when it failed (ok is 0),
 * print "not ok: NAME (HOW): WHAT": how the input was fed (or the function
 * it was given to) and what was wrong (or the input it was wrong for). */
static void check(int ok, const char *name, const char *how, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        printf("not ok: %s (%s): %s\n", name, how, what);
    }
}

#endif
