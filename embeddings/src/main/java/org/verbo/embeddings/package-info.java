/** verbo embeddings. */
package org.verbo.embeddings;
