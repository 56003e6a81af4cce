public enum PerimeterTestSupport {}
