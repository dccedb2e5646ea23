// The JDBC check of the client-compatibility suite (clients.py runs it with `java -cp
// postgresql.jar JdbcCheck.java HOST PORT USER`, the password on stdin): what DBeaver and
// Metabase do through the PostgreSQL JDBC driver. Prints one `key<TAB>value` line per finding.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Properties;

public class JdbcCheck {
    public static void main(String[] arguments) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", arguments[2]);
        properties.setProperty("password", new BufferedReader(new InputStreamReader(System.in)).readLine());
        properties.setProperty("sslmode", "disable");
        String url = "jdbc:postgresql://" + arguments[0] + ":" + arguments[1] + "/kaigo";
        try (Connection connection = DriverManager.getConnection(url, properties)) {
            DatabaseMetaData metadata = connection.getMetaData();
            System.out.println("product\t" + metadata.getDatabaseProductName() + " " + metadata.getDatabaseProductVersion());
            try (ResultSet tables = metadata.getTables(null, "warehouse", "%", new String[] {"TABLE"})) {
                while (tables.next()) {
                    System.out.println("table\t" + tables.getString("TABLE_NAME"));
                }
            }
            try (ResultSet columns = metadata.getColumns(null, "warehouse", "dim_persons", "%")) {
                while (columns.next()) {
                    System.out.println("column\t" + columns.getString("COLUMN_NAME") + " " + columns.getInt("DATA_TYPE")
                            + " " + columns.getString("TYPE_NAME"));
                }
            }
            for (int sex = 0; sex <= 2; sex++) {
                String sql = "select count(*) from dim_persons" + (sex == 0 ? "" : " where sex_code = ?");
                try (PreparedStatement statement = connection.prepareStatement(sql)) {
                    if (sex > 0) {
                        statement.setInt(1, sex);
                    }
                    try (ResultSet result = statement.executeQuery()) {
                        result.next();
                        System.out.println("count\t" + sex + " " + result.getLong(1));
                    }
                }
            }
        }
    }
}
