/*
 * regex_check.c -- refuses regular expressions that glibc's regcomp()
 * would take minutes or gigabytes to compile (regex_check.h): stacked
 * quantifiers and nested counts, before any pattern of a config or an
 * alert expression is compiled.
 */
#include "autoconfig.h"
#include "regex_check.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

/* The length of the quantifier at p (*, +, ?, {n}, {n,}, {n,m}, {,m}) or
 * 0, with in *count how many copies of its atom glibc makes (1 for the
 * unbounded ones, which it does not expand).  A '{' that does not start
 * an interval is an ordinary character (or a syntax error for regcomp). */
static size_t quantifier_len(const char *p, unsigned long *count)
{
	*count = 1;
	if (*p == '*' || *p == '+' || *p == '?')
		return 1;
	if (*p != '{')
		return 0;
	size_t i = 1;
	unsigned long n[2] = { 0, 0 };
	int digits[2] = { 0, 0 }, part = 0;
	for (;; i++) {
		if (isdigit((unsigned char)p[i])) {
			if (n[part] <= REGEX_MAX_REPEAT)   /* enough to know it is too big */
				n[part] = n[part] * 10 + (unsigned long)(p[i] - '0');
			digits[part] = 1;
		} else if (p[i] == ',' && part == 0) {
			part = 1;
		} else {
			break;
		}
	}
	if (p[i] != '}' || (!digits[0] && !digits[1]))
		return 0;
	*count = part && digits[1] ? n[1] : n[0];
	if (*count == 0)
		*count = 1;
	return i + 1;
}

/* The index just past the bracket expression that starts at pat[i]
 * ('['): a ']' first (or after '^') is a member, and [:alpha:], [=a=]
 * and [.-.] may hold one.  Backslashes are ordinary in there. */
static size_t bracket_end(const char *pat, size_t i)
{
	size_t j = i + 1;
	if (pat[j] == '^')
		j++;
	if (pat[j] == ']')
		j++;
	while (pat[j] && pat[j] != ']') {
		if (pat[j] == '[' && pat[j + 1] && strchr(":=.", pat[j + 1])) {
			char close[3] = { pat[j + 1], ']', '\0' };
			const char *end = strstr(pat + j + 2, close);
			if (end) {
				j = (size_t)(end - pat) + 2;
				continue;
			}
		}
		j++;
	}
	return pat[j] ? j + 1 : j;   /* unterminated: regcomp says so */
}

static int regex_fail(char *err, size_t errlen, const char *what, const char *pat, size_t from,
		      size_t to)
{
	int n = (int)(to - from < 40 ? to - from : 40);
	snprintf(err, errlen, "%s '%.*s' at column %zu", what, n, pat + from, from + 1);
	return -1;
}

/* Walks the pattern as regcomp() will parse it, keeping for each open
 * group the largest product of repetition counts inside it. */
int regex_check(const char *pat, char *err, size_t errlen)
{
	size_t len = strlen(pat);
	if (len > REGEX_MAX_LEN) {
		snprintf(err, errlen, "regular expression too long (%zu bytes, at most %d)", len,
			 REGEX_MAX_LEN);
		return -1;
	}
	static const size_t none = (size_t)-1;
	unsigned long inner[REGEX_MAX_DEPTH + 1];
	size_t depth = 0, quant = none;   /* where the quantifier just before starts */
	unsigned long atom = 0;           /* the last atom's product; 0: no atom */
	inner[0] = 1;
	for (size_t i = 0; i < len;) {
		unsigned long count;
		size_t qlen = quantifier_len(pat + i, &count);
		if (qlen) {
			/* glibc reads "a**" as (a*)*, doubling what it builds each
			 * time; RE2 and Go refuse it with this message */
			if (quant != none)
				return regex_fail(err, errlen, "invalid nested repetition operator", pat,
						  quant, i + qlen);
			if (count > REGEX_MAX_REPEAT)
				return regex_fail(err, errlen, "invalid repeat count", pat, i, i + qlen);
			if (atom && atom * count > REGEX_MAX_REPEAT)
				return regex_fail(err, errlen,
						  "repetition too large (nested counts multiply past 1000)",
						  pat, i, i + qlen);
			if (atom && atom * count > inner[depth])
				inner[depth] = atom * count;
			quant = i;
			i += qlen;
			continue;
		}
		quant = none;
		switch (pat[i]) {
		case '\\':
			atom = 1;
			i += pat[i + 1] ? 2 : 1;
			break;
		case '[':
			atom = 1;
			i = bracket_end(pat, i);
			break;
		case '(':
			if (depth == REGEX_MAX_DEPTH) {
				snprintf(err, errlen,
					 "regular expression nests too deeply (more than %d groups) at column %zu",
					 REGEX_MAX_DEPTH, i + 1);
				return -1;
			}
			inner[++depth] = 1;
			atom = 0;
			i++;
			break;
		case ')':
			/* the group is the atom a quantifier after it repeats */
			atom = depth ? inner[depth--] : 1;
			if (atom > inner[depth])
				inner[depth] = atom;
			i++;
			break;
		case '|':
			atom = 0;
			i++;
			break;
		default:
			atom = 1;
			i++;
			break;
		}
	}
	return 0;
}
