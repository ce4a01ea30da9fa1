./ci/install-deps.sh all >/dev/null 2>&1
mkdir -p /run
/usr/sbin/libvirtd -v > /tmp/l.log 2>&1 &
sleep 10
timeout 20 virsh -c qemu:///system version 2>&1 | tail -3
grep -v "Cannot find suitable\|could not find capabilities" /tmp/l.log | grep -iE "error|warn|qemu" | head -20
ls -la /var/lib/libvirt/ /var/lib/libvirt/qemu /var/cache/libvirt/qemu 2>&1 | head -20
id libvirt-qemu; ls -la /dev/kvm 2>&1
kill %1
