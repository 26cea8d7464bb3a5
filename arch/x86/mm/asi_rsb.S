/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ASI_FLUSH_RSB on x86: after an untrusted context ran, and before kernel
 * code runs unrestricted, overwrite the return stack buffer as a context
 * switch does (__switch_to_asm), so that no RET of the unrestricted kernel
 * speculates to a target the untrusted context planted.  Only where the
 * kernel's Spectre v2 mitigation fills it on context switches.
 */

#include <linux/linkage.h>
#include <asm/cpufeatures.h>
#include <asm/nospec-branch.h>

	.section .noinstr.text, "ax"
SYM_FUNC_START(asi_x86_fill_rsb)
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_CTXSW
	RET
SYM_FUNC_END(asi_x86_fill_rsb)
