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

TRACE_EVENT(asi_enter,
	    TP_PROTO(int class_id, unsigned long cr3),
	    TP_ARGS(class_id, cr3),
	    TP_STRUCT__entry(__field(int, class_id)
			     __field(unsigned long, cr3)),
	    TP_fast_assign(__entry->class_id = class_id;
			   __entry->cr3 = cr3;),
	    TP_printk("class=%d cr3=%#lx", __entry->class_id, __entry->cr3)
);

TRACE_EVENT(asi_exit,
	    TP_PROTO(int class_id, int reason),
	    TP_ARGS(class_id, reason),
	    TP_STRUCT__entry(__field(int, class_id)
			     __field(int, reason)),
	    TP_fast_assign(__entry->class_id = class_id;
			   __entry->reason = reason;),
	    TP_printk("class=%d reason=%s", __entry->class_id,
		      __print_symbolic(__entry->reason,
				       { ASI_EXIT_CALL, "call" },
				       { ASI_EXIT_SWITCH, "switch" },
				       { ASI_EXIT_FAULT, "fault" }))
);

TRACE_EVENT(asi_fault_exit,
	    TP_PROTO(int class_id, unsigned long addr),
	    TP_ARGS(class_id, addr),
	    TP_STRUCT__entry(__field(int, class_id)
			     __field(unsigned long, addr)),
	    TP_fast_assign(__entry->class_id = class_id;
			   __entry->addr = addr;),
	    TP_printk("class=%d addr=%#lx", __entry->class_id, __entry->addr)
);

#endif /* _TRACE_ASI_H */

#include <trace/define_trace.h>
