#!/usr/bin/env perl
# Writes the small MaxMind DB fixtures of the enrich tests (tests/unit/geo_database_test.cpp,
# tests/integration/geo_mmdblookup.sh, fuzz seeds). The generated .mmdb files are committed beside
# this script; regenerate them after editing it with
#     perl tests/data/geo/make-fixtures.pl tests/data/geo && cp tests/data/geo/*.mmdb fuzz/corpus/geo_database/
# (Debian package libmaxmind-db-writer-perl). Output is reproducible (build epoch fixed).
#
# All networks are documentation or benchmarking space (RFC 5737, RFC 3849, RFC 2544), hence
# remove_reserved_networks => 0. Every database holds IPv4 and IPv6 networks.
#   city.mmdb         GeoLite2-City layout (country/registered_country/subdivisions/city/location maps)
#   asn.mmdb          GeoLite2-ASN layout (autonomous_system_number/_organization)
#   country.mmdb      ip-location-db geo-whois-asn-country-mmdb layout (top-level country_code)
#   iplocdb-city.mmdb ip-location-db city layout (top-level country_code/state1/city/latitude/longitude)
use strict;
use warnings;
use utf8;
use MaxMind::DB::Writer::Tree;

my $dir = shift // '.';

my %types = (
    city => 'map', continent => 'map', country => 'map', registered_country => 'map',
    location => 'map', names => 'map', subdivisions => ['array', 'map'],
    en => 'utf8_string', ja => 'utf8_string', code => 'utf8_string', iso_code => 'utf8_string',
    geoname_id => 'uint32', latitude => 'double', longitude => 'double', accuracy_radius => 'uint16',
    time_zone => 'utf8_string', autonomous_system_number => 'uint32',
    autonomous_system_organization => 'utf8_string', country_code => 'utf8_string',
    state1 => 'utf8_string', state2 => 'utf8_string', postcode => 'utf8_string', timezone => 'utf8_string',
);

sub write_db {
    my ($file, $type, $records, %override) = @_;
    my %key_types = (%types, %override);
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version => 6, record_size => 24, database_type => $type, languages => ['en'],
        description => { en => "iotwatch test fixture ($type)" },
        map_key_type_callback => sub { $key_types{ $_[0] } // die "no type for key $_[0]" },
        remove_reserved_networks => 0,
    );
    $tree->_set_build_epoch(1700000000);  # reproducible bytes (the writer's own test hook)
    for (my $i = 0; $i < @$records; $i += 2) {
        $tree->insert_network($records->[$i], $records->[$i + 1]);
    }
    open my $fh, '>:raw', "$dir/$file" or die "$dir/$file: $!";
    $tree->write_tree($fh);
    close $fh or die "$dir/$file: $!";
}

sub city_record {
    my (%a) = @_;
    my %r;
    $r{country} = { iso_code => $a{country}, names => { en => $a{country_name} } } if $a{country};
    $r{registered_country} = { iso_code => $a{registered} } if $a{registered};
    $r{subdivisions} = [ { iso_code => $a{region_code}, names => { en => $a{region} } } ] if $a{region};
    $r{city} = { geoname_id => 1, names => { en => $a{city}, ($a{city_ja} ? (ja => $a{city_ja}) : ()) } } if $a{city};
    $r{location} = { latitude => $a{lat}, longitude => $a{lon}, accuracy_radius => 10 } if defined $a{lat};
    return \%r;
}

write_db('city.mmdb', 'GeoLite2-City', [
    '203.0.113.0/24' => city_record(country => 'JP', country_name => 'Japan', region => 'Tokyo',
        region_code => '13', city => 'Tokyo', city_ja => '東京', lat => 35.6895, lon => 139.6917),
    '198.51.100.0/25' => city_record(country => 'US', country_name => 'United States',
        region => 'California', region_code => 'CA', city => 'Mountain View', lat => 37.386, lon => -122.0838),
    '198.51.100.128/25' => city_record(country => 'DE', country_name => 'Germany', lat => 51.2993, lon => 9.491),
    '198.18.0.0/15' => city_record(registered => 'AU'),  # anycast-like: only the registered country
    '2001:db8:1::/48' => city_record(country => 'FR', country_name => 'France', region => 'Île-de-France',
        region_code => 'IDF', city => 'Paris', lat => 48.8566, lon => 2.3522),
    '2001:db8:2::/48' => city_record(country => 'BR', country_name => 'Brazil', region => 'São Paulo',
        region_code => 'SP', city => 'São Paulo', lat => -23.5475, lon => -46.6361),
]);

write_db('asn.mmdb', 'GeoLite2-ASN', [
    '203.0.113.0/24' => { autonomous_system_number => 64500, autonomous_system_organization => 'Example Tokyo Net' },
    '198.51.100.0/24' => { autonomous_system_number => 64501, autonomous_system_organization => 'Example US Cable' },
    '192.0.2.0/24' => { autonomous_system_number => 4200000001, autonomous_system_organization => 'Example 32-bit AS' },
    '2001:db8:1::/48' => { autonomous_system_number => 64502, autonomous_system_organization => 'Exemple Télécom Paris' },
    '2001:db8:3::/48' => { autonomous_system_number => 64503, autonomous_system_organization => 'Example v6 only' },
]);

write_db('country.mmdb', 'country ipvAll', [
    '203.0.113.0/24' => { country_code => 'JP' },
    '192.0.2.0/25' => { country_code => 'KR' },
    '2001:db8:1::/48' => { country_code => 'FR' },
    '2001:db8:4::/48' => { country_code => 'NL' },
]);

write_db('iplocdb-city.mmdb', 'city ipvAll', [
    '203.0.113.0/24' => { country_code => 'JP', state1 => 'Osaka', city => 'Osaka', postcode => '530-0001',
        latitude => 34.6937, longitude => 135.5023, timezone => 'Asia/Tokyo' },
    '2001:db8:1::/48' => { country_code => 'FR', state1 => 'Provence-Alpes-Côte d\'Azur', city => 'Marseille',
        latitude => 43.2965, longitude => 5.3698, timezone => 'Europe/Paris' },
], city => 'utf8_string', latitude => 'float', longitude => 'float');  # top-level strings; floats as some converters write
