// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bird.c - the BIRD 2 backend: the desired set rendered into the include
 * files (bird_render.c), then `configure` over the control socket
 * (bird_ctl.c).  BIRD parses the whole configuration before it changes
 * anything: when it finds an error it says 8002 and keeps running the
 * previous one, announcements included.  The error is returned (the loop
 * logs it and tries again later); the files keep the desired set, which
 * BIRD takes at the next successful configure or restart.
 *
 * BIRD reads the files itself when it starts, so a restarted BIRD needs
 * nothing from us; a configure is only sent when a file changed or the
 * last one did not succeed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

#define CONFIGURE_MS 10000 /* BIRD parses everything before it answers */

struct bird {
	struct bird_opts o;
	char *text[2];   /* what vips4.conf and vips6.conf hold */
	bool configured; /* BIRD took the files as they are */
};

static const char *const file_name[2] = { BIRD_FILE_V4, BIRD_FILE_V6 };
static const __u8 file_fam[2] = { XLB_FAM_V4, XLB_FAM_V6 };

/* The file's current content, NULL when it does not exist. */
static int read_file(const char *dir, const char *name, char **out)
{
	char path[4096], buf[4096], *text = NULL;
	size_t len = 0, n;
	FILE *f, *m;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 :
		       xlb_errmsg_set(-errno, "%s: %s", path, strerror(errno));
	m = open_memstream(&text, &len);
	while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	fclose(f);
	if (!m || fclose(m)) {
		free(text);
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	}
	*out = text;
	return 0;
}

/* Files that do not exist yet are written empty, so a bird.conf that
 * includes them by name can start before the first VIP is ready. */
static int bird_start(struct bgpd_backend *be)
{
	struct bird *b = be->priv;
	struct bgpd_vipset none;
	struct stat st;
	int err = 0;

	if (stat(b->o.include_dir, &st) || !S_ISDIR(st.st_mode))
		return xlb_errmsg_set(-ENOTDIR, "--include-dir %s: not a "
				      "folder", b->o.include_dir);
	vipset_init(&none);
	for (int i = 0; i < 2 && !err; i++) {
		err = read_file(b->o.include_dir, file_name[i], &b->text[i]);
		if (err || b->text[i])
			continue;
		err = bird_render(&none, file_fam[i], &b->text[i]);
		if (!err)
			err = bird_write_atomic(b->o.include_dir, file_name[i],
						b->text[i]);
		if (!err)
			xlb_log(XLB_LOG_INFO, "wrote an empty %s/%s",
				 b->o.include_dir, file_name[i]);
	}
	return err;
}

static int configure(struct bird *b)
{
	struct bird_reply r;
	int err = bird_ctl_command(b->o.socket, "configure", &r, CONFIGURE_MS);

	bgpd_alive();

	if (!err)
		err = bird_reply_configure_result(&r);
	if (!err)
		xlb_log(XLB_LOG_DEBUG, "BIRD: %04d %s", r.final, r.text);
	b->configured = !err;
	return err;
}

static int bird_apply(struct bgpd_backend *be, const struct bgpd_vipset *want,
		      bool force)
{
	struct bird *b = be->priv;
	bool changed = false;
	int err = 0;

	(void)force; /* a restarted BIRD reads the files by itself */
	for (int i = 0; i < 2 && !err; i++) {
		char *text;

		err = bird_render(want, file_fam[i], &text);
		if (err)
			break;
		if (b->text[i] && !strcmp(b->text[i], text)) {
			free(text);
			continue;
		}
		err = bird_write_atomic(b->o.include_dir, file_name[i], text);
		if (err) {
			free(text);
			break;
		}
		free(b->text[i]);
		b->text[i] = text;
		changed = true;
	}
	if (err)
		return err;
	if (!changed && b->configured)
		return 0;
	return configure(b);
}

static void bird_free(struct bgpd_backend *be)
{
	struct bird *b;

	if (!be)
		return;
	b = be->priv;
	free(b->text[0]);
	free(b->text[1]);
	free(b);
	free(be);
}

int bird_backend_new(const struct bird_opts *o, struct bgpd_backend **out)
{
	struct bgpd_backend *be = calloc(1, sizeof(*be));
	struct bird *b = calloc(1, sizeof(*b));

	if (!be || !b) {
		free(be);
		free(b);
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	}
	b->o = *o;
	be->name = "BIRD";
	be->start = bird_start;
	be->apply = bird_apply;
	be->free = bird_free;
	be->priv = b;
	*out = be;
	return 0;
}
