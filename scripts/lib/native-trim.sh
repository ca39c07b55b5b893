# Sourced by scripts/verbo and the bench scripts. Sets NATIVE_TRIM to the JVM options that make HotSpot return freed
# native memory to the OS every second, when this java knows them (JDK-8293114: JDK 17.0.9 and later, experimental
# in 17), else to nothing. Why: glibc keeps memory freed by native code resident in its arenas (ND4J's temporaries
# outside workspaces, the JIT's compiler arenas); with it the bench-7m trainer's peak RSS measured 0.90-0.99 GB
# instead of 1.0-1.2 GB (docs/PERFORMANCE.md).
NATIVE_TRIM=""
if java -XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=1000 -version >/dev/null 2>&1; then
  NATIVE_TRIM="-XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=1000"
fi
