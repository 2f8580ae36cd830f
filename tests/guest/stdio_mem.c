/* stdio beyond printf: fmemopen, open_memstream, tmpfile, fread/fwrite of
 * binary records, ungetc, getc/putc loops, fgets/getline, setvbuf modes,
 * fseek/ftell/rewind, ferror/feof/clearerr. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

struct rec { uint32_t id; int16_t delta; uint8_t flags[2]; double value; };

int main(void)
{
    char text[] = "line one\nsecond line\n\nfourth, no newline";
    FILE *f = fmemopen(text, strlen(text), "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int ln = 0;
    while ((n = getline(&line, &cap, f)) != -1) printf("getline %d: len=%zd [%.*s]\n", ++ln, n, (int)(n && line[n - 1] == '\n' ? n - 1 : n), line);
    printf("feof=%d ferror=%d\n", feof(f) != 0, ferror(f) != 0);
    rewind(f);
    int c1 = getc(f), c2 = getc(f);
    ungetc('X', f);
    int c3 = getc(f), c4 = fgetc(f);
    printf("getc: %c %c ungetc->%c next=%c\n", c1, c2, c3, c4);
    fseek(f, -7, SEEK_END);
    char tail[16] = { 0 };
    size_t got = fread(tail, 1, sizeof tail - 1, f);
    printf("tail fread=%zu [%s] ftell=%ld\n", got, tail, ftell(f));
    clearerr(f);
    fclose(f);
    free(line);

    char *mbuf = NULL;
    size_t msize = 0;
    FILE *m = open_memstream(&mbuf, &msize);
    for (int i = 0; i < 1000; i++) fprintf(m, "%d,", i * i);
    fflush(m);
    printf("memstream size=%zu prefix=[%.20s]\n", msize, mbuf);
    fseek(m, 5, SEEK_SET);
    fputs("#####", m);
    fclose(m);
    unsigned long h = 0;
    for (size_t i = 0; i < msize; i++) h = h * 131 + (unsigned char)mbuf[i];
    printf("memstream after close size=%zu hash=%lu prefix=[%.20s]\n", msize, h, mbuf);
    free(mbuf);

    FILE *t = tmpfile();
    if (!t) { printf("tmpfile failed\n"); return 1; }
    struct rec recs[50];
    memset(recs, 0, sizeof recs);
    for (int i = 0; i < 50; i++) {
        recs[i].id = (uint32_t)(i * 2654435761u);
        recs[i].delta = (int16_t)(i * -37);
        recs[i].flags[0] = (uint8_t)i; recs[i].flags[1] = (uint8_t)(255 - i);
        recs[i].value = i / 8.0;
    }
    size_t wr = fwrite(recs, sizeof recs[0], 50, t);
    printf("fwrite=%zu ftell=%ld\n", wr, ftell(t));
    struct rec back[50];
    fseek(t, (long)sizeof(struct rec) * 10, SEEK_SET);
    size_t rd = fread(back, sizeof back[0], 50, t);
    printf("fread=%zu first id=%u delta=%d flags=%u,%u value=%g eof=%d\n", rd, back[0].id, back[0].delta,
           back[0].flags[0], back[0].flags[1], back[0].value, feof(t) != 0);
    rewind(t);
    rd = fread(back, sizeof back[0], 50, t);
    printf("roundtrip=%d\n", rd == 50 && memcmp(back, recs, sizeof recs) == 0);
    fclose(t);

    /* character-level copy between memory streams with full buffering */
    char src[5000];
    for (int i = 0; i < 4999; i++) src[i] = (char)('a' + (i * 7) % 26);
    src[4999] = 0;
    FILE *in = fmemopen(src, 4999, "r");
    char *obuf = NULL;
    size_t osize = 0;
    FILE *out = open_memstream(&obuf, &osize);
    setvbuf(in, NULL, _IOFBF, 64);
    int c, count = 0;
    while ((c = getc(in)) != EOF) { if (c == 'e') c = 'E'; putc(c, out); count++; }
    fclose(in);
    fclose(out);
    int es = 0;
    for (size_t i = 0; i < osize; i++) es += obuf[i] == 'E';
    printf("copied=%d size=%zu Es=%d\n", count, osize, es);
    free(obuf);

    /* line-buffered and unbuffered stdout output stays in order */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("line buffered\n");
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("unbuffered ");
    printf("end\n");
    return 0;
}
