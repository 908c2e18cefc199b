// Public host key lines as `ssh-keygen` (OpenSSH 9) writes them, one per type sshd can present. Public keys only;
// the private halves were thrown away.
export const HOST_KEYS = {
    ed25519: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMvESbZO1RKfx8K1Zlsqn1t0wx8gvwkRlR0qNgobemwM node@test",
    ecdsa256:
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLG3QpDJ7N6An8kjAoOQ/A7DogrXHjIgvjyREDx81fOcYJ8StjLa6DkcKFT8zTP18ZuAyW2/V0BooYrAzvHXd0o= node@test",
    ecdsa384:
        "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBLvYVBx/gW2nu9tigoNkfyGjIq3X3g8pdqjXWYpqow2URgVfXxlxW17MnDlWw7f5RULVCSxfCH6r9miSvPJEMgYFC/mnt/zoJrVNP6ZxThgqHsFOcS0JxY67Dlt2yKwgMQ== node@test",
    ecdsa521:
        "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAEMQx0YxNdb9RTVW/2SO25osaHgln5sHqGl5DdHOfaxB6MrPulTKV6Alt++aOQcL6hljvsuVjUsPi715F7oMBMTrgAZYsk6c8h6LiRT9ijX8jqUcbhuV7Ckl5f8uzMJd1TqydThC/26/uAM+JfvJ+XG6vdNJDkrZXPEP0/veXhgJXQaeg== node@test",
    rsa2048:
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCs0XM9wQQCK4vWGOD3A1VkmfGA2nVFyTH8cJqg1+v0m4Nf0bWVfrVsdvfyCYCpijWB9gZIPPuYS5W6esOviv8LqIdXDhs+f+9qTDkdx4xrpZ30qrsbH6Pf4r1y1JeVG2xZb1P03xV9UR9DgKiGT+8+l/bvSDg0XG+3CQ5073tBdOUU3CLK8PnfNb20sLy1VllRUzcxXBavpp07qvsmxXBtpsGouMS2R91lHk5hyR/HmTfONCk3sDD/jarBYzFa0JeIM9Pf4P2jxSAUY6XMfJLUXC6/aUKRtNJ8n+sa/AmEZPwyn8AC/1xmlsm/dqh91AwpHwIRxUseSUDhDLbVf7LB node@test",
} as const;

function sshString(data: Buffer | string): Buffer {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
}

/** A key line whose blob is made of the given SSH strings (for malformed-key cases). */
export function keyLine(type: string, parts: (Buffer | string)[], comment = ""): string {
    return `${type} ${Buffer.concat(parts.map(sshString)).toString("base64")}${comment ? ` ${comment}` : ""}`;
}
