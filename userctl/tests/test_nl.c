// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of lib/krelay_nl.c's transport against the running kernel, without
 * krelay.ko: the generic netlink controller ("nlctrl") exists everywhere and
 * answers dumps (multi-part replies ending in NLMSG_DONE), errors and
 * extended acks the same way krelay does.  The library source is included
 * so that its static functions can be driven directly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <linux/genetlink.h>

#include "../lib/krelay_nl.c"

static struct krelay_handle *open_ctrl(void)
{
	struct krelay_handle *h = NULL;
	int ret = open_family(&h, "nlctrl");

	if (ret == -EAFNOSUPPORT || ret == -EPERM || ret == -EACCES)
		skip();		/* no netlink in this sandbox */
	assert_int_equal(ret, 0);
	assert_non_null(h);
	assert_int_equal(h->family, GENL_ID_CTRL);
	return h;
}

static void test_missing_family(void **state)
{
	struct krelay_handle *h = NULL;

	(void)state;
	/* The CLI turns exactly this into "krelay module not loaded". */
	assert_int_equal(open_family(&h, "krelay-no-such-family"), -ENOENT);
	assert_null(h);
}

struct names {
	int count;
	int saw_nlctrl;
};

static int family_fn(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct names *n = arg;

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0)
		return -EBADMSG;
	n->count++;
	if (tb[CTRL_ATTR_FAMILY_NAME] &&
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), "nlctrl") == 0)
		n->saw_nlctrl = 1;
	return 0;
}

static void test_dump(void **state)
{
	struct krelay_handle *h = open_ctrl();
	struct names n = { 0 };
	int round;

	(void)state;
	/* Several dumps on one socket: sequence numbers must keep matching. */
	for (round = 0; round < 3; round++) {
		struct nl_msg *msg = new_req(h, CTRL_CMD_GETFAMILY, NLM_F_DUMP);

		assert_non_null(msg);
		memset(&n, 0, sizeof(n));
		assert_int_equal(xfer(h, msg, family_fn, &n), 0);
		assert_true(n.count > 1);
		assert_true(n.saw_nlctrl);
		assert_null(krelay_ext_msg(h));
	}
	krelay_close(h);
}

static void test_doit_reply_and_ack(void **state)
{
	struct krelay_handle *h = open_ctrl();
	struct names n = { 0 };
	struct nl_msg *msg = new_req(h, CTRL_CMD_GETFAMILY, 0);

	(void)state;
	assert_non_null(msg);
	assert_int_equal(nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "nlctrl"), 0);
	assert_int_equal(xfer(h, msg, family_fn, &n), 0);
	assert_int_equal(n.count, 1);
	assert_true(n.saw_nlctrl);
	krelay_close(h);
}

static void test_error(void **state)
{
	struct krelay_handle *h = open_ctrl();
	struct names n = { 0 };
	struct nl_msg *msg = new_req(h, CTRL_CMD_GETFAMILY, 0);

	(void)state;
	assert_non_null(msg);
	assert_int_equal(nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "no-such"), 0);
	assert_int_equal(xfer(h, msg, family_fn, &n), -ENOENT);
	assert_int_equal(n.count, 0);

	/* The socket stays usable after an error. */
	msg = new_req(h, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	assert_non_null(msg);
	assert_int_equal(xfer(h, msg, family_fn, &n), 0);
	assert_true(n.saw_nlctrl);
	krelay_close(h);
}

static void test_extack(void **state)
{
	struct krelay_handle *h = open_ctrl();
	struct nl_msg *msg = new_req(h, CTRL_CMD_GETFAMILY, 0);
	uint8_t one = 1;
	int ret;

	(void)state;
	assert_non_null(msg);
	/* CTRL_ATTR_FAMILY_ID is a u16: one byte fails policy validation. */
	assert_int_equal(nla_put(msg, CTRL_ATTR_FAMILY_ID, 1, &one), 0);
	ret = xfer(h, msg, NULL, NULL);
	assert_true(ret == -EINVAL || ret == -ERANGE);
	assert_non_null(krelay_ext_msg(h));
	/* nlctrl's attribute 1 has krelay's name table applied: "attribute" */
	assert_non_null(krelay_ext_attr(h));

	/* The message is cleared by the next request. */
	msg = new_req(h, CTRL_CMD_GETFAMILY, 0);
	assert_non_null(msg);
	assert_int_equal(nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "nlctrl"), 0);
	assert_int_equal(xfer(h, msg, NULL, NULL), 0);
	assert_null(krelay_ext_msg(h));
	assert_null(krelay_ext_attr(h));
	krelay_close(h);
}

static void test_name_attr_at(void **state)
{
	struct krelay_endpoint ep = { .family = AF_INET, .port = 80 };
	struct krelay_handle h = { .family = 0x1234 };
	struct nl_msg *msg = new_req(&h, KRELAY_CMD_RULE_NEW, 0);
	struct nlmsghdr *nlh;
	struct nlattr *a;
	char buf[64];
	int rem;

	(void)state;
	assert_non_null(msg);
	assert_int_equal(put_endpoint(msg, KRELAY_A_LISTEN, &ep), 0);
	assert_int_equal(nla_put_u32(msg, KRELAY_A_CONNECT_TIMEOUT_MS, 5), 0);
	nlh = nlmsg_hdr(msg);

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		uint32_t off = (uint32_t)((char *)a - (char *)nlh);

		name_attr_at(nlh, off, buf, sizeof(buf));
		if (nla_type(a) == KRELAY_A_LISTEN) {
			struct nlattr *in;
			int r2;

			assert_string_equal(buf, "listen");
			/* the nest carries NLA_F_NESTED, as strict genl wants */
			assert_true(a->nla_type & NLA_F_NESTED);
			nla_for_each_nested(in, a, r2) {
				name_attr_at(nlh, (uint32_t)((char *)in - (char *)nlh),
					     buf, sizeof(buf));
				if (nla_type(in) == KRELAY_ADDR_A_PORT) {
					assert_string_equal(buf, "listen port");
					assert_int_equal(nla_get_u16(in), htons(80));
				} else {
					assert_string_equal(buf, "listen address");
				}
			}
		} else {
			assert_string_equal(buf, "connect-timeout");
		}
	}
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_family),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_doit_reply_and_ack),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_extack),
		cmocka_unit_test(test_name_attr_at),
	};

	return cmocka_run_group_tests_name("krelay_nl transport (nlctrl)",
					   tests, NULL, NULL);
}
