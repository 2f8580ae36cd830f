use strict;
use warnings;
my %count;
my ($lines, $sum) = (0, 0);
while (my $l = <STDIN>) {
    chomp $l;
    $lines++;
    my @f = split /\s+/, $l;
    $sum += $f[1];
    $count{$f[2]}++;
    print "long: $l\n" if length($l) > 17 && $lines % 211 == 0;
}
print "$lines $sum\n";
print join(",", map { "$_=$count{$_}" } sort keys %count), "\n";
my @sorted = sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count;
print "@sorted[0..2]\n";
my $s = "The quick brown fox jumps over the lazy dog";
(my $t = $s) =~ s/(\w+)/\u\L$1/g;
print "$t\n", scalar(() = $s =~ /o/g), " ", join("|", $s =~ /\b(\w{5})\b/g), "\n";
printf "%05.1f|%-5s|%x|%o|%e|%s\n", 3.14159, "ab", 255, 8, 1234.5, 1/7;
my @a = map { $_ * $_ } grep { $_ % 3 } 1..30;
print scalar(@a), " ", join(" ", @a[0..5]), " ", eval { my $x = 0; 1 / $x } // "div0: " . ($@ =~ /division by zero/ ? "caught" : "?"), "\n";
my $packed = pack("NnC a4 w", 0xdeadbeef, 513, 7, "perl", 300);
print unpack("H*", $packed), " ", join(",", unpack("NnC a4 w", $packed)), "\n";
my %h = (apple => [1, 2, 3], pear => { x => 1 });
print ref($h{apple}), " ", ref($h{pear}), " ", scalar @{$h{apple}}, " ", join(",", sort keys %{$h{pear}}), "\n";
print sprintf("%.15g", 0.1 + 0.2), " ", 2**53 + 1, " ", int(-7 / 2), " ", -7 % 3, " ", 10 ** 20, " ", ~0 >> 1, "\n";
my $fib; $fib = sub { my $n = shift; $n < 2 ? $n : $fib->($n - 1) + $fib->($n - 2) }; print $fib->(20), "\n";
local $, = "-"; local $\ = "\n"; print reverse(1..5), lc("ABC"), ucfirst("xyz"), sprintf("%s", join ":", split //, "abc");
