// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tls.c - HTTPS through OpenSSL on the probe's non-blocking socket.  SNI
 * carries the check's host when it is a name; with tls_verify the chain
 * is checked against the system's trust store and the certificate
 * against that host (or the address).  Each worker has its own two
 * contexts (verifying or not), so threads share no TLS state.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "probe.h"

static SSL_CTX *ctx_new(bool verify)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (!c)
		return NULL;
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/* A server that closes without close_notify still answered. */
	SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (verify) {
		SSL_CTX_set_default_verify_paths(c);
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	}
	return c;
}

/* Made on a worker's first HTTPS probe: loading the trust store takes
 * tens of milliseconds that TCP and HTTP checks need not pay. */
static SSL_CTX *ctx_get(struct hcd_wctx *w, bool verify)
{
	if (!w->tls[verify])
		w->tls[verify] = ctx_new(verify);
	return w->tls[verify];
}

void hcd_tls_fini(struct hcd_wctx *w)
{
	SSL_CTX_free(w->tls[0]);
	SSL_CTX_free(w->tls[1]);
	w->tls[0] = w->tls[1] = NULL;
}

static bool is_address(const char *s)
{
	union xlb_addr a;
	__u8 fam;

	return !xlb_addr_parse(s, &a, &fam);
}

int hcd_tls_begin(struct hcd_probe *p, struct hcd_wctx *w)
{
	const struct hcd_params *c = p->t->params;
	SSL_CTX *ctx = ctx_get(w, c->tls_verify);
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	char addr[XLB_ADDR_STRLEN];

	if (!ssl)
		return -ENOMEM;
	p->ssl = ssl;
	if (!SSL_set_fd(ssl, p->fd))
		return -EIO;
	SSL_set_connect_state(ssl);
	if (c->host && !is_address(c->host))
		SSL_set_tlsext_host_name(ssl, c->host);
	if (c->tls_verify) {
		if (c->host) {
			SSL_set1_host(ssl, c->host);
		} else {
			xlb_addr_format(&p->t->addr, p->t->family, addr,
					sizeof(addr));
			SSL_set1_host(ssl, addr);
		}
	}
	return 0;
}

/* -EAGAIN for "call again when the socket moves", else an error. */
static long io_result(SSL *ssl, int ret)
{
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : 0;
	default:
		return -EPROTO;
	}
}

int hcd_tls_handshake(struct hcd_probe *p)
{
	int ret;
	long rc;

	ERR_clear_error();
	errno = 0;
	ret = SSL_do_handshake(p->ssl);
	if (ret == 1)
		return 2;
	rc = io_result(p->ssl, ret);
	if (rc == -EAGAIN)
		return HCD_STEP_WAIT;
	if (rc == -ECONNRESET || rc == -ECONNREFUSED)
		return hcd_probe_done(p, false, XLB_HR_REFUSED);
	return hcd_probe_done(p, false, XLB_HR_TLS);
}

long hcd_tls_write(struct hcd_probe *p, const void *buf, size_t len)
{
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_write(p->ssl, buf, (int)len);
	return ret > 0 ? ret : io_result(p->ssl, ret);
}

long hcd_tls_read(struct hcd_probe *p, void *buf, size_t len)
{
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_read(p->ssl, buf, (int)len);
	return ret > 0 ? ret : io_result(p->ssl, ret);
}

void hcd_tls_free(struct hcd_probe *p)
{
	SSL_free(p->ssl);
	p->ssl = NULL;
}
