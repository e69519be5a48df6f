DROP INDEX articles_by_section_time;
