//! Linux user-mode emulation: ELF loading, the guest address space, syscall translation. Per-guest ABI glue lives in `<arch>/` modules.
