package dev.tokenmin.localstack.clickhouse;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HttpQueryTest {

    private static HttpQuery parse(String rawQuery, Map<String, String> headers, byte[] body) {
        return HttpQuery.parse(rawQuery, headers::get, body);
    }

    @Test
    void shouldSeparateSettingsFromHttpParametersAndQueryParameters() {
        HttpQuery q = parse("compress=1&database=db1&query_id=q-1&max_threads=2&param_id=42&wait_end_of_query=1",
                Map.of(), "SELECT {id:UInt32}".getBytes(StandardCharsets.UTF_8));

        assertThat(q.settings()).containsExactly(Map.entry("max_threads", "2"));
        assertThat(q.parameters()).containsExactly(Map.entry("id", "42"));
        assertThat(q.database()).isEqualTo("db1");
        assertThat(q.queryId()).isEqualTo("q-1");
        assertThat(q.compressResponse()).isTrue();
        assertThat(q.statement()).isEqualTo("SELECT {id:UInt32}");
    }

    @Test
    void shouldTakeTheOutputFormatFromTheStatementOverTheHeader() {
        HttpQuery q = parse(null, Map.of("X-ClickHouse-Format", "RowBinaryWithNamesAndTypes"),
                "SELECT 1 FORMAT JSONEachRow".getBytes(StandardCharsets.UTF_8));

        assertThat(q.outputFormat()).isEqualTo("JSONEachRow");
    }

    @Test
    void shouldUseTheHeaderFormatAndDatabaseWhenTheUrlDoesNotNameThem() {
        HttpQuery q = parse(null, Map.of("X-ClickHouse-Format", "TSKV", "X-ClickHouse-Database", "acme"),
                "DESCRIBE TABLE t".getBytes(StandardCharsets.UTF_8));

        assertThat(q.outputFormat()).isEqualTo("TSKV");
        assertThat(q.database()).isEqualTo("acme");
    }

    @Test
    void shouldKeepBinaryInsertDataApartFromTheStatementEvenWithBlankLinesInIt() {
        byte[] data = {1, 2, '\n', '\n', 3, 0};
        byte[] head = "INSERT INTO t (a, b) FORMAT RowBinary\n".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + data.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(data, 0, body, head.length, data.length);

        HttpQuery q = parse(null, Map.of(), body);

        assertThat(q.isInsertWithData()).isTrue();
        assertThat(q.insertFormat()).isEqualTo("RowBinary");
        assertThat(q.insertData()).isEqualTo(data);
        assertThat(q.insertFromFile("/tmp/x.data"))
                .isEqualTo("INSERT INTO t (a, b) FROM INFILE '/tmp/x.data' FORMAT RowBinary");
    }

    @Test
    void shouldPutFromInfileBeforeASettingsClause() {
        HttpQuery q = parse("query=" + java.net.URLEncoder.encode(
                        "INSERT INTO t SETTINGS insert_deduplication_token='abc' FORMAT RowBinary", StandardCharsets.UTF_8),
                Map.of(), new byte[] {7, 7});

        assertThat(q.insertData()).containsExactly(7, 7);
        assertThat(q.insertFromFile("/s/f")).isEqualTo(
                "INSERT INTO t FROM INFILE '/s/f' SETTINGS insert_deduplication_token='abc' FORMAT RowBinary");
    }

    @Test
    void shouldLeaveValuesInsertsInTheStatement() {
        HttpQuery q = parse(null, Map.of(), "INSERT INTO t VALUES (1, 'a'), (2, 'b')".getBytes(StandardCharsets.UTF_8));

        assertThat(q.isInsertWithData()).isFalse();
        assertThat(q.statement()).isEqualTo("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    }

    @Test
    void shouldAppendTheBodyToAQueryParameterThatIsNotAFormattedInsert() {
        HttpQuery q = parse("query=SELECT", Map.of(), " 1".getBytes(StandardCharsets.UTF_8));

        assertThat(q.statement()).isEqualTo("SELECT\n 1");
    }

    @Test
    void shouldMapErrorCodesToTheStatusClickHouseAnswers() {
        assertThat(ClickHouseHttpServer.httpStatusOf(62)).isEqualTo(400);
        assertThat(ClickHouseHttpServer.httpStatusOf(60)).isEqualTo(404);
        assertThat(ClickHouseHttpServer.httpStatusOf(159)).isEqualTo(500);
        assertThat(ClickHouseHttpServer.httpStatusOf(48)).isEqualTo(501);
    }
}
