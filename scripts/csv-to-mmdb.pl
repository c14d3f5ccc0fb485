#!/usr/bin/env perl
# Converts ip-location-db ASN CSV files (rows "first_ip,last_ip,asn,organisation", inclusive ranges,
# IPv4 or IPv6, organisation optionally double-quoted with "" for a quote) into one MaxMind DB with the
# GeoLite2-ASN layout (autonomous_system_number, autonomous_system_organization), readable by
# GeoDatabase and mmdblookup. Needs MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl).
#
# usage: csv-to-mmdb.pl OUT.mmdb IN.csv...      (writes OUT.mmdb.tmp, then renames it into place)
# A malformed row stops the conversion with the file name and line number (exit 2).
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

@ARGV >= 2 or die "usage: $0 OUT.mmdb IN.csv...\n";
my ($out, @inputs) = @ARGV;

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version => 6,
    record_size => 32,  # 24-bit records address 16 M nodes; the full table needs 1.2 M (2026), 32 leaves room
    database_type => 'iotwatch-ASN',
    languages => ['en'],
    description => { en => 'ASN ranges converted by iotwatch scripts/csv-to-mmdb.pl from ' . join(' ', map { s{.*/}{}r } @inputs) },
    map_key_type_callback => sub {
        my %t = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string');
        $t{ $_[0] } // die "no type for key $_[0]\n";
    },
    remove_reserved_networks => 0,  # keep the data as published
);

my $rows = 0;
for my $in (@inputs) {
    open my $fh, '<:encoding(UTF-8)', $in or die "$in: $!\n";
    while (my $line = <$fh>) {
        $line =~ s/\r?\n\z//;
        next if $line eq '';
        my ($first, $last, $asn, $quoted, $plain) =
            $line =~ /\A([0-9A-Fa-f.:]+),([0-9A-Fa-f.:]+),([0-9]+),(?:"((?:[^"]|"")*)"|([^"]*))\z/;
        my $org = defined $quoted ? $quoted =~ s/""/"/gr : $plain;
        if (!defined $first || $asn > 4294967295) {
            print STDERR "$in: line $.: not first_ip,last_ip,asn,organisation: $line\n";
            exit 2;
        }
        eval {
            $tree->insert_range($first, $last,
                { autonomous_system_number => $asn + 0, autonomous_system_organization => $org });
            1;
        } or do {
            my $err = $@ =~ s/\s+\z//r;
            print STDERR "$in: line $.: $err\n";
            exit 2;
        };
        ++$rows;
    }
    close $fh;
}
open my $ofh, '>:raw', "$out.tmp" or die "$out.tmp: $!\n";
$tree->write_tree($ofh);
close $ofh or die "$out.tmp: $!\n";
rename "$out.tmp", $out or die "$out: $!\n";
print STDERR "csv-to-mmdb: $rows ranges -> $out\n";
