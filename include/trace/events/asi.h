/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM asi

#if !defined(_TRACE_ASI_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_ASI_H

#include <linux/asi_types.h>
#include <linux/tracepoint.h>

TRACE_DEFINE_ENUM(ASI_EXIT_CALL);
TRACE_DEFINE_ENUM(ASI_EXIT_SWITCH);
TRACE_DEFINE_ENUM(ASI_EXIT_FAULT);
TRACE_DEFINE_ENUM(ASI_EXIT_CONTEXT_SWITCH);
TRACE_DEFINE_ENUM(ASI_EXIT_MM_SWITCH);
TRACE_DEFINE_ENUM(ASI_EXIT_TLB_FLUSH);

/* The class is given by its id and its name (struct asi_class_ops). */
TRACE_EVENT(asi_enter,
	    TP_PROTO(int class_id, const char *class_name, unsigned long cr3),
	    TP_ARGS(class_id, class_name, cr3),
	    TP_STRUCT__entry(__field(int, class_id)
			     __string(class_name, class_name)
			     __field(unsigned long, cr3)),
	    TP_fast_assign(__entry->class_id = class_id;
			   __assign_str(class_name);
			   __entry->cr3 = cr3;),
	    TP_printk("class=%s cr3=%#lx", __get_str(class_name), __entry->cr3)
);

TRACE_EVENT(asi_exit,
	    TP_PROTO(int class_id, const char *class_name, int reason),
	    TP_ARGS(class_id, class_name, reason),
	    TP_STRUCT__entry(__field(int, class_id)
			     __string(class_name, class_name)
			     __field(int, reason)),
	    TP_fast_assign(__entry->class_id = class_id;
			   __assign_str(class_name);
			   __entry->reason = reason;),
	    TP_printk("class=%s reason=%s", __get_str(class_name),
		      __print_symbolic(__entry->reason,
				       { ASI_EXIT_CALL, "call" },
				       { ASI_EXIT_SWITCH, "switch" },
				       { ASI_EXIT_FAULT, "fault" },
				       { ASI_EXIT_CONTEXT_SWITCH, "context-switch" },
				       { ASI_EXIT_MM_SWITCH, "mm-switch" },
				       { ASI_EXIT_TLB_FLUSH, "tlb-flush" },
				       { ASI_EXIT_INTERRUPT, "interrupt" },
				       { ASI_EXIT_RETURN_TO_USER, "return-to-user" }))
);

/*
 * Where a restricted space touched what it does not map: the address, the
 * code that did it and the architecture's error code, so that a developer
 * can find which code reaches sensitive memory.
 */
TRACE_EVENT(asi_fault_exit,
	    TP_PROTO(int class_id, const char *class_name, unsigned long addr,
		     unsigned long ip, unsigned long error_code),
	    TP_ARGS(class_id, class_name, addr, ip, error_code),
	    TP_STRUCT__entry(__field(int, class_id)
			     __string(class_name, class_name)
			     __field(unsigned long, addr)
			     __field(unsigned long, ip)
			     __field(unsigned long, error_code)),
	    TP_fast_assign(__entry->class_id = class_id;
			   __assign_str(class_name);
			   __entry->addr = addr;
			   __entry->ip = ip;
			   __entry->error_code = error_code;),
	    TP_printk("class=%s addr=%#lx ip=%pS error_code=%#lx",
		      __get_str(class_name), __entry->addr,
		      (void *)__entry->ip, __entry->error_code)
);

#endif /* _TRACE_ASI_H */

#include <trace/define_trace.h>
